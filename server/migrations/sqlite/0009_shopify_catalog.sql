-- A show's catalog can come from a Shopify collection: each such product keeps the variant its cart line names.
ALTER TABLE products ADD COLUMN shopify_variant_id TEXT;
