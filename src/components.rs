//! One component per file; a folder per feature.

mod error_notice;
mod product_list;
mod show_header;
mod side_panel;
mod stage_slots;

pub use error_notice::ErrorNotice;
pub use product_list::ProductList;
pub use show_header::ShowHeader;
pub use side_panel::SidePanel;
pub use stage_slots::{LikeSlot, PickupSlot, PlayerSlot};
