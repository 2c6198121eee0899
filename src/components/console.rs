mod console_login;
mod console_panel;

pub use console_login::ConsoleLogin;
pub use console_panel::ConsolePanel;
