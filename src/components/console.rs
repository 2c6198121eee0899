mod action_message;
mod broadcast_panel;
mod catalog_refresh;
mod console_login;
mod console_panel;
mod dead_letters;
mod feed_moderation;
mod grant_access_form;
mod mail_outbox;
mod playback_figures;
mod waiting_room_controls;

pub use console_login::ConsoleLogin;
pub use console_panel::ConsolePanel;
