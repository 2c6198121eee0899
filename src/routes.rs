//! One file per page.

mod home_page;
mod live_page;
mod not_found_page;

pub use home_page::HomePage;
pub use live_page::LivePage;
pub use not_found_page::NotFoundPage;
