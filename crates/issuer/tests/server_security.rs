//! The TLS adapter with a `[security]` table: `server::start` opens the HSM named in the
//! config, and a gateway link gets a key change and PIN answers over mutual TLS.

mod common;
mod pin_common;

use std::sync::Arc;

use iso8583::{Message, Mti};
use issuer::security::zone_control;
use link::pki::Authority;
use link::{Link, LinkOptions, Target};
use pin_common::*;

fn message(mti: &str, fields: &[(usize, &[u8])]) -> Message<'static> {
    let mut m = Message::new(Mti::parse(mti).unwrap());
    for (n, v) in fields {
        m.set_owned(*n, v).unwrap();
    }
    m
}

#[tokio::test]
async fn key_change_and_pins_over_mutual_tls() {
    let site = Site::new();
    let pki = site.dir.path().join("pki");
    let ca = Authority::generate("posnet test CA").unwrap();
    ca.write(&pki).unwrap();
    ca.issue_server(&["127.0.0.1"])
        .unwrap()
        .write(&pki, "issuer")
        .unwrap();
    let gateway = ca.issue_terminal("GW000001").unwrap();
    let mut config = site.config.clone();
    config.tls.cert = pki.join("issuer.pem");
    config.tls.key = pki.join("issuer.key");
    config.tls.client_ca = pki.join("ca.pem");
    config.data_dir = site.dir.path().join("data");

    let (trigger, shutdown) = link::shutdown_pair();
    let running = issuer::server::start(&config, Some("127.0.0.1:0"), shutdown)
        .await
        .unwrap();
    let spec = Arc::new(iso8583::specs::iso87_ascii_bbitmap());
    let mut options = LinkOptions::new(vec![Target::from(running.local_addr)], spec);
    options.tls = Some(
        link::tls::client_config(&[ca.cert_der().clone()], Some(&gateway.identity().unwrap()))
            .unwrap(),
    );
    let gw = Link::start(options).unwrap();
    gw.wait_up(5_000).await.unwrap();

    let change = message("0800", &[(7, b"0615100000"), (11, b"000001"), (70, b"161")]);
    let answer = gw.request(&change).await.unwrap();
    assert_eq!(answer.text(39), Some("00"));
    assert_eq!(answer.text(53), Some(zone_control(1).as_str()));
    assert!(answer.text(48).is_some_and(|b| b.starts_with('B')));

    // The previous generation (0) is still accepted while the new key spreads.
    let sale = |stan: &str, pin: &str| {
        let block = pin_block(&zpk0(), pin, common::ALICE);
        let control = zone_control(0);
        let amount = format!("{:012}", 100);
        let rrn = format!("516612{stan}");
        let fields: Vec<(usize, Vec<u8>)> = vec![
            (2, common::ALICE.into()),
            (3, b"000000".to_vec()),
            (4, amount.into_bytes()),
            (7, b"0615100000".to_vec()),
            (11, stan.into()),
            (12, b"120000".to_vec()),
            (13, b"0615".to_vec()),
            (14, b"3012".to_vec()),
            (22, b"012".to_vec()),
            (25, b"00".to_vec()),
            (32, b"1234".to_vec()),
            (37, rrn.into_bytes()),
            (41, common::TERMINAL.into()),
            (42, common::MERCHANT.into()),
            (49, b"978".to_vec()),
            (52, block),
            (53, control.into_bytes()),
        ];
        let borrowed: Vec<(usize, &[u8])> =
            fields.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        message("0200", &borrowed)
    };
    let ok = gw.request(&sale("000002", ALICE_PIN)).await.unwrap();
    assert_eq!(ok.text(39), Some("00"));
    let wrong = gw.request(&sale("000003", "0000")).await.unwrap();
    assert_eq!(wrong.text(39), Some("55"));

    gw.close();
    trigger.trigger();
    running.task.await.unwrap();
    running.ledger_thread.join().unwrap();
}
