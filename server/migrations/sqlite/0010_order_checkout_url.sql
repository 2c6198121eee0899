-- Where the buyer pays an order whose provider has its own checkout page (Shopify's cart checkoutUrl).
ALTER TABLE orders ADD COLUMN checkout_url TEXT;
