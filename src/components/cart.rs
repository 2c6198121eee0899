//! The shop's cart: a button on each product, the cart button with its count, and the cart sheet with checkout. The
//! sheet opens over the shop, never over the video, and nothing in it pauses or reloads the stream.

mod add_to_cart;
mod cart_button;
mod cart_sheet;
mod checkout;
mod stripe_payment;

pub use add_to_cart::AddToCart;
pub use cart_button::CartButton;
pub use cart_sheet::CartSheet;
