-- A variant of a product from a Shopify collection keeps the Shopify variant its cart line names.
ALTER TABLE product_variants ADD COLUMN shopify_variant_id TEXT;
