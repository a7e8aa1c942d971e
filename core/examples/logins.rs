//! `logins [N] [--async]`: N sequential logins (default 2,000) through the blocking client (or
//! the async one on a current-thread runtime) against `XPAY_BASE_URL`, for profiling the client
//! side alone, e.g. with the mock in another process:
//!
//! ```sh
//! target/release/xpay-mock --port 8080 &
//! XPAY_BASE_URL=http://127.0.0.1:8080 valgrind --tool=callgrind \
//!   target/release/examples/logins 2000
//! ```
//!
//! Run it with 0 too: the difference of the two instruction counts divided by N is the cost of
//! one login, without start-up.

use xpay_auth::{blocking, Client, Credentials};

fn main() -> Result<(), xpay_auth::Error> {
    let mut n = 2_000usize;
    let mut use_async = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--async" => use_async = true,
            other => n = other.parse().expect("usage: logins [N] [--async]"),
        }
    }
    let credentials = Credentials::new("demo@xpay.test", "demo-secret");
    if use_async {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = Client::new()?;
        rt.block_on(async {
            for _ in 0..n {
                client.authenticate(&credentials).await?;
            }
            Ok::<(), xpay_auth::Error>(())
        })?;
    } else {
        let client = blocking::Client::new()?;
        for _ in 0..n {
            client.authenticate(&credentials)?;
        }
    }
    Ok(())
}
