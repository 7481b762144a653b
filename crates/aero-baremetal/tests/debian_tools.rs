//! What real tools say about the generated files and images, for every node of both
//! example sites: cloud-init's schema check accepts each `user-data`, netplan generates
//! systemd-networkd files from each `network-config`, and `isoinfo` and `blkid` read each
//! image (label `cidata`, the three files). These tests fail, naming the package, when a
//! tool is missing: `ci/test.sh` installs them.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use aero_baremetal::{ConfigPart, IsoImage, NameSource};
use support::{SITES, example_configs, require_tool};

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn cloud_init_accepts_every_user_data() {
    let cloud_init = require_tool("cloud-init", "cloud-init");
    let folder = tempfile::tempdir().unwrap();
    for site in SITES {
        for (node, config, _) in example_configs(site) {
            let path = folder.path().join(format!("{node}.user-data"));
            std::fs::write(&path, config.part(ConfigPart::UserData)).unwrap();
            let output = run(Command::new(&cloud_init)
                .args(["schema", "--config-file"])
                .arg(&path));
            assert!(
                output.status.success(),
                "{site}/{node}: cloud-init rejects user-data:\n{}{}\n{}",
                text(&output.stdout),
                text(&output.stderr),
                config.part(ConfigPart::UserData)
            );
        }
    }
}

/// The ids of every device a network-config declares.
fn devices(network_config: &str) -> Vec<String> {
    let options = aero_yaml::LoadOptions::new(aero_yaml::Dialect::Yaml12);
    let documents = aero_yaml::load_all(network_config, &options).unwrap();
    let network = documents[0].root.to_json()["network"].take();
    ["ethernets", "bonds", "vlans"]
        .iter()
        .filter_map(|kind| network[kind].as_object())
        .flat_map(|devices| devices.keys().cloned())
        .collect()
}

#[test]
fn netplan_generates_networkd_files_from_every_network_config() {
    let netplan = require_tool("netplan", "netplan.io");
    for site in SITES {
        for (node, config, _) in example_configs(site) {
            let root = tempfile::tempdir().unwrap();
            let folder = root.path().join("etc/netplan");
            std::fs::create_dir_all(&folder).unwrap();
            let file = folder.join("50-cloud-init.yaml");
            std::fs::write(&file, config.part(ConfigPart::NetworkConfig)).unwrap();
            std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            let output = run(Command::new(&netplan)
                .args(["generate", "--root-dir"])
                .arg(root.path()));
            assert!(
                output.status.success(),
                "{site}/{node}: netplan rejects network-config:\n{}{}\n{}",
                text(&output.stdout),
                text(&output.stderr),
                config.part(ConfigPart::NetworkConfig)
            );
            let generated = root.path().join("run/systemd/network");
            let mut names: Vec<String> = std::fs::read_dir(&generated)
                .unwrap_or_else(|error| panic!("{site}/{node}: {}: {error}", generated.display()))
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let devices = devices(config.part(ConfigPart::NetworkConfig));
            assert!(devices.len() >= 6, "{site}/{node}: {devices:?}");
            for device in &devices {
                assert!(
                    names.contains(&format!("10-netplan-{device}.network")),
                    "{site}/{node}: no networkd file for {device}: {names:?}"
                );
            }
            let bond = std::fs::read_to_string(generated.join("10-netplan-bond0.netdev")).unwrap();
            assert!(bond.contains("Mode=802.3ad"), "{bond}");
            assert!(bond.contains("TransmitHashPolicy=layer3+4"), "{bond}");
        }
    }
}

#[test]
fn isoinfo_and_blkid_read_every_image() {
    let isoinfo = require_tool("isoinfo", "genisoimage");
    let blkid = require_tool("blkid", "util-linux");
    let folder = tempfile::tempdir().unwrap();
    for site in SITES {
        for (node, config, image) in example_configs(site) {
            let path = folder.path().join(image.file_name());
            std::fs::write(&path, image.bytes()).unwrap();
            let descriptor = run(Command::new(&isoinfo).arg("-d").arg("-i").arg(&path));
            let descriptor = text(&descriptor.stdout);
            assert!(descriptor.contains("Volume id: cidata"), "{descriptor}");
            assert!(descriptor.contains("Joliet"), "{descriptor}");
            assert!(descriptor.contains("Rock Ridge"), "{descriptor}");
            for names in ["-R", "-J"] {
                let listing = run(Command::new(&isoinfo).args(["-f", names, "-i"]).arg(&path));
                let mut files: Vec<String> =
                    text(&listing.stdout).lines().map(str::to_string).collect();
                files.sort();
                assert_eq!(
                    files,
                    ["/meta-data", "/network-config", "/user-data"],
                    "{site}/{node} {names}"
                );
                for part in ConfigPart::ALL {
                    let extracted = run(Command::new(&isoinfo)
                        .arg(names)
                        .arg("-x")
                        .arg(format!("/{}", part.file_name()))
                        .arg("-i")
                        .arg(&path));
                    assert_eq!(
                        text(&extracted.stdout),
                        config.part(part),
                        "{site}/{node} {names} {part}"
                    );
                }
            }
            let probe = run(Command::new(&blkid).arg("-p").arg(&path));
            let probe = text(&probe.stdout);
            assert!(probe.contains("LABEL=\"cidata\""), "{probe}");
            assert!(probe.contains("TYPE=\"iso9660\""), "{probe}");
        }
    }
}

/// An image made by genisoimage from a folder holding `user-data`.
fn genisoimage(folder: &Path, flags: &[&str]) -> Vec<u8> {
    let genisoimage = require_tool("genisoimage", "genisoimage");
    let files = folder.join("files");
    std::fs::create_dir_all(files.join("sub")).unwrap();
    std::fs::write(files.join("user-data"), "#cloud-config\n").unwrap();
    std::fs::write(files.join("sub/deep.txt"), "deep\n").unwrap();
    let image = folder.join("out.iso");
    let output = run(Command::new(genisoimage)
        .args(["-quiet", "-V", "cidata", "-o"])
        .arg(&image)
        .args(flags)
        .arg(&files));
    assert!(output.status.success(), "{}", text(&output.stderr));
    std::fs::read(image).unwrap()
}

#[test]
fn the_reader_reads_images_other_tools_made() {
    let folder = tempfile::tempdir().unwrap();
    for (flags, source, user_data, deep) in [
        (
            &["-R", "-J"][..],
            NameSource::RockRidge,
            "user-data",
            "sub/deep.txt",
        ),
        (&["-J"][..], NameSource::Joliet, "user-data", "sub/deep.txt"),
        (&[][..], NameSource::Plain, "USER_DAT", "SUB/DEEP.TXT"),
    ] {
        let bytes = genisoimage(folder.path(), flags);
        let image = IsoImage::parse(&bytes).unwrap();
        assert_eq!(image.name_source(), source, "{flags:?}");
        assert_eq!(image.label(), "cidata");
        let paths: Vec<String> = image
            .entries()
            .unwrap()
            .into_iter()
            .filter(|entry| !entry.is_dir)
            .map(|entry| entry.path)
            .collect();
        assert_eq!(paths, [deep, user_data], "{flags:?}");
        assert_eq!(image.read(user_data).unwrap(), b"#cloud-config\n");
        assert_eq!(image.read(deep).unwrap(), b"deep\n");
        // Plain names are upper case; they are found whatever the case asked.
        if source == NameSource::Plain {
            assert_eq!(image.read("sub/deep.txt").unwrap(), b"deep\n");
        }
    }
}
