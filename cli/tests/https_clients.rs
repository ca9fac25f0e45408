//! The gateways (Razorpay, Stripe) and providers (FCM, SendGrid, MSG91, WhatsApp) are HTTPS
//! only: the HTTP client the services share must speak TLS, or every real call fails before
//! it is sent.

#[tokio::test]
async fn the_shared_http_client_speaks_https() {
    // Port 9 (discard) is closed here: a client with TLS gets as far as connecting; one
    // without refuses the URL's scheme before trying.
    let err = reqwest::Client::new()
        .get("https://127.0.0.1:9/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "expected a connection error, got {err:?}");
}
