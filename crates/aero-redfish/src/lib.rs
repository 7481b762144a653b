//! A typed, resilient Redfish BMC client.
