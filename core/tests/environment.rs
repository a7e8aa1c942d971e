//! Configuration from the environment. One test in its own binary: it changes the process's
//! environment, which other tests running on other threads must not see.

use xpay_auth::{blocking, Client, Credentials};
use xpay_mock::{MockConfig, MockServer};

#[test]
fn base_url_and_credentials_come_from_the_environment() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    // SAFETY: the only test in this binary; no other thread reads the environment now.
    unsafe {
        std::env::remove_var("XPAY_BASE_URL");
        std::env::remove_var("XPAY_USERNAME");
        std::env::remove_var("XPAY_SECRET_KEY");
    }
    assert_eq!(
        Client::new().unwrap().base_url(),
        "https://apis.xpay.stream"
    );
    let err = Credentials::from_env().unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(err.message().contains("XPAY_USERNAME"), "{}", err.message());

    unsafe {
        std::env::set_var("XPAY_BASE_URL", mock.base_url());
        std::env::set_var("XPAY_USERNAME", "demo@xpay.test");
        std::env::set_var("XPAY_SECRET_KEY", "demo-secret");
    }
    let client = blocking::Client::new().unwrap();
    assert_eq!(client.base_url(), mock.base_url());
    let session = client.session_from_env().unwrap();
    assert_eq!(session.call("/client/echo", &"hi").unwrap(), "hi");

    unsafe { std::env::set_var("XPAY_BASE_URL", "http://not-loopback.example") };
    assert_eq!(Client::new().unwrap_err().code(), "invalid_argument");
}
