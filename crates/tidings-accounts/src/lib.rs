//! Newsroom accounts without I/O: who may do what, how passwords are hashed, how one-time tokens and
//! two-factor codes work. Storage lives in `tidings-store`; HTTP in `tidings-server`.

mod address;
mod password;
mod role;
mod scope;
mod signing;
mod token;
mod totp;

pub use address::{normalise_address, AddressError};
pub use password::{PasswordCost, PasswordError, Passwords, MIN_PASSWORD_LEN};
pub use role::{Action, Role};
pub use scope::{new_api_token, token_hint, Scope, API_TOKEN_PREFIX};
pub use signing::{constant_time_eq, hmac_hex, webhook_signature};
pub use token::{hash_token, new_token, recovery_codes, throttle_delay};
pub use totp::{TotpError, TwoFactor};
