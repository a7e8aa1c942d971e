//! The Rust face in a few lines: log in, keep a session, make a call.
//!
//! Reads `XPAY_BASE_URL`, `XPAY_USERNAME` and `XPAY_SECRET_KEY` (`make demo` points them at a
//! local `xpay-mock`). Run: `cargo run --release --example demo`.

use xpay_auth::{redact_token, Client, Credentials};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), xpay_auth::Error> {
    let client = Client::new()?;
    let credentials = Credentials::from_env()?;

    let auth = client.authenticate(&credentials).await?;
    println!(
        "login  user={} scopes={:?} is_api={} token={} expires_at={} ticket={} uuid={}",
        auth.user().username(),
        auth.user().scopes(),
        auth.user().is_api(),
        redact_token(auth.access_token()),
        auth.expires_at(),
        auth.ticket(),
        auth.uuid(),
    );

    let session = client.session(credentials);
    let data = session
        .call(
            "/client/echo",
            &serde_json::json!({"hello": "xpay", "from": "rust"}),
        )
        .await?;
    println!("call   /client/echo -> {data}");
    Ok(())
}
