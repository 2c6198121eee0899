mod console_login;
mod console_panel;
mod playback_figures;

pub use console_login::ConsoleLogin;
pub use console_panel::ConsolePanel;
