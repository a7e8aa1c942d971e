//! Secrets the core holds are zeroed in memory when dropped. The secret key is a
//! `Zeroizing<String>` (`credentials.rs`); the login body and the request buffers are
//! `Zeroizing<Vec<u8>>` (`client.rs`, the transport); the tokens the core holds live in
//! [`Authentication`]s, wiped here. (Kept apart from `authentication.rs`, which the fuzz shim
//! compiles on its own without `zeroize`.)

use zeroize::Zeroize;

use crate::authentication::Authentication;

/// The token and the ticket are bearer credentials: zeroed when this copy (e.g. the session's
/// cached login) is dropped. Copies handed to the caller are the caller's.
impl Drop for Authentication {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.ticket.zeroize();
    }
}
