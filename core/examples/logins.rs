//! `logins [N] [--async] [--threads T]`: N logins (default 2,000) through the blocking client
//! (or the async one on a current-thread runtime) against `XPAY_BASE_URL`, sequentially or
//! split over T threads sharing one blocking client, for profiling the client side alone, e.g.
//! with the mock in another process:
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
    let usage = "usage: logins [N] [--async] [--threads T]";
    let mut n = 2_000usize;
    let mut use_async = false;
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--async" => use_async = true,
            "--threads" => threads = args.next().and_then(|t| t.parse().ok()).expect(usage),
            other => n = other.parse().expect(usage),
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
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (client, credentials) = (&client, &credentials);
                    let share = n / threads + usize::from(t < n % threads);
                    scope.spawn(move || {
                        (0..share).try_for_each(|_| client.authenticate(credentials).map(drop))
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|w| w.join().expect("worker panicked"))
        })?;
    }
    Ok(())
}
