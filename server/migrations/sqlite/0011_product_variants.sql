-- Variants of a product (sizes, colours), each with its own price and stock. A product with variants is ordered by
-- variant, and its own stock is the sum of theirs (kept so by every order and every return).
CREATE TABLE product_variants (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position >= 0),
    title      TEXT NOT NULL,
    -- Tax-included, in the currency's minor units (the product's currency and tax rate).
    price      INTEGER NOT NULL CHECK (price >= 0),
    stock      INTEGER NOT NULL CHECK (stock >= 0),
    UNIQUE (product_id, position)
);

ALTER TABLE order_lines ADD COLUMN variant_id TEXT;
