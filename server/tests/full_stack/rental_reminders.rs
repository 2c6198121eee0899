//! Rental reminders end to end: the operator's rental grant schedules the reminder in the database, it survives a
//! restart, the clock (injected) reaching 5 h before the end writes the mail, the server's own worker hands it to an
//! SMTP server (a local fake speaking the protocol), a refund cancels it, and without SMTP the console lists it.

use std::time::Duration;

use crate::support::TestApp;
use caravan_server::{access::reminders::reminder_key, config::Config, mail::Mailer, secret::Secret};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::mpsc,
};

/// What an SMTP client handed over: the envelope's recipients and the message.
#[derive(Debug)]
struct Delivered {
    recipients: Vec<String>,
    message: String,
}

/// An SMTP server on a free port that accepts every message (RFC 5321's happy path) and reports it.
async fn fake_smtp() -> (u16, mpsc::UnboundedReceiver<Delivered>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake.smtp ESMTP\r\n").await.unwrap();
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                        b"250-fake.smtp\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("RCPT TO:") {
                        recipients.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 OK\r\n"
                    } else if command.starts_with("DATA") {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut message = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            message.push_str(&line);
                            message.push('\n');
                        }
                        let recipients = std::mem::take(&mut recipients);
                        tx.send(Delivered { recipients, message }).unwrap();
                        b"250 queued\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

fn with_smtp(config: &mut Config, port: u16) {
    config.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    config.mail_from = "Caravan <shows@caravan.example>".into();
    config.public_site_url = "https://caravan.example".into();
    config.jobs_poll_ms = 50;
}

async fn admin(app: &TestApp, method: reqwest::Method, body: Value) -> u16 {
    app.client
        .request(method, app.url("/api/admin/entitlements"))
        .header("authorization", &app.operator_token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A viewer's code from the paid show's refusal.
async fn viewer_code(app: &TestApp) -> String {
    let answer: Value = app
        .client
        .post(app.url("/api/playback/demo-paid"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["viewerId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rental_reminder_survives_a_restart_and_goes_out_by_smtp() {
    let (port, mut delivered) = fake_smtp().await;
    let app = TestApp::spawn_configured(|config| with_smtp(config, port)).await;
    let viewer = viewer_code(&app).await;
    let rental = json!({ "slug": "demo-paid", "viewerId": viewer, "kind": "rental", "email": "fan@example.com" });
    let bad = json!({ "slug": "demo-paid", "viewerId": viewer, "kind": "rental", "email": "fan@" });
    assert_eq!(admin(&app, reqwest::Method::POST, bad).await, 400);
    assert_eq!(admin(&app, reqwest::Method::POST, rental).await, 204);
    let granted = app.store.entitlement(&viewer, "evt_demo_paid").await.unwrap().unwrap();
    let end = granted.expires_at.unwrap();
    let key = reminder_key(&viewer, "evt_demo_paid");
    let job = app.store.job(&key).await.unwrap().unwrap();
    assert_eq!(
        (job.state.as_str(), job.run_at.0),
        ("pending", end - chrono::Duration::hours(5))
    );

    // A restart keeps it.
    let (stopped, dir) = app.shut_down().await;
    stopped.unwrap();
    let app = TestApp::spawn_in_configured(dir, |config| with_smtp(config, port)).await;
    assert_eq!(app.store.job(&key).await.unwrap().unwrap().state, "pending");

    // The clock reaches 5 h before the end (injected: this worker runs what is due then). The mail is queued, and
    // the server's own worker sends it.
    let mut config = Config::for_tests(app.dir.path(), app.dir.path());
    with_smtp(&mut config, port);
    let worker = app.worker(caravan_server::settings::mailer(&config).unwrap());
    assert_eq!(worker.run_due(end - chrono::Duration::hours(6)).await.unwrap(), 0);
    assert_eq!(worker.run_due(end - chrono::Duration::hours(5)).await.unwrap(), 1);
    let mail = tokio::time::timeout(Duration::from_secs(10), delivered.recv())
        .await
        .expect("the server's worker sends the mail")
        .unwrap();
    assert_eq!(mail.recipients, ["fan@example.com"]);
    assert!(mail.message.contains("To: fan@example.com"), "{}", mail.message);
    assert!(
        mail.message.contains("From: Caravan <shows@caravan.example>"),
        "{}",
        mail.message
    );
    assert!(
        mail.message.contains("https://caravan.example/live/demo-paid"),
        "{}",
        mail.message
    );
    let outbox = app.store.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    for _ in 0..100 {
        if app.store.outbox(1).await.unwrap()[0].sent_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.store.outbox(1).await.unwrap()[0].state.as_str(), "sent");
    assert_eq!(app.store.job(&key).await.unwrap().unwrap().state, "done");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), delivered.recv())
            .await
            .is_err(),
        "sent once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_cancels_the_reminder_and_the_console_lists_held_mail() {
    let app = TestApp::spawn().await;
    let viewer = viewer_code(&app).await;
    let rental = json!({ "slug": "demo-paid", "viewerId": viewer, "kind": "rental", "email": "fan@example.com" });
    assert_eq!(admin(&app, reqwest::Method::POST, rental.clone()).await, 204);
    let refund = json!({ "slug": "demo-paid", "viewerId": viewer });
    assert_eq!(admin(&app, reqwest::Method::DELETE, refund.clone()).await, 204);
    assert_eq!(
        admin(&app, reqwest::Method::DELETE, refund).await,
        404,
        "nothing left to take back"
    );
    let key = reminder_key(&viewer, "evt_demo_paid");
    assert_eq!(app.store.job(&key).await.unwrap().unwrap().state, "cancelled");
    assert_eq!(
        app.client
            .delete(app.url("/api/admin/entitlements"))
            .json(&json!({ "slug": "demo-paid", "viewerId": viewer }))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "only the operator refunds"
    );

    // Rented again; without SMTP the reminder is held and the console shows it.
    assert_eq!(admin(&app, reqwest::Method::POST, rental).await, 204);
    let end = app
        .store
        .entitlement(&viewer, "evt_demo_paid")
        .await
        .unwrap()
        .unwrap()
        .expires_at
        .unwrap();
    let worker = app.worker(Mailer::Outbox);
    assert_eq!(worker.run_due(end - chrono::Duration::hours(5)).await.unwrap(), 1);
    assert_eq!(app.store.outbox(1).await.unwrap()[0].state.as_str(), "held");
    let html = app.console_html("demo-paid", &app.operator_cookie().await).await;
    assert!(html.contains("Mail to viewers"), "{html}");
    assert!(html.contains("Your rental of “Caravan Demo: a paid show” ends in 5 hours"));
    assert!(html.contains("fan@example.com") && html.contains("Held (no mail server)"));
}
