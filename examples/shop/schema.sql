-- examples/shop: the MySQL schema of a small online shop.
--
-- Runs unchanged on MySQL 8.0 and MariaDB 10.11 (utf8mb4, InnoDB). No CREATE DATABASE / USE:
-- the loader (seed.py) runs it in the database it is connected to.
-- seed.py splits this file on ";" at the end of a line and skips "--" comment lines, so keep
-- one statement per ";"-terminated block and no ";" inside comments or string literals.
--
-- Foreign keys (child -> parent):
--   addresses.customer_id           -> customers.id   (NOT NULL)
--   categories.parent_id            -> categories.id  (NULL for top-level categories)
--   products.category_id            -> categories.id  (NOT NULL)
--   orders.customer_id              -> customers.id   (NOT NULL)
--   orders.shipping_address_id      -> addresses.id   (NULL for digital-only orders)
--   orders.coupon_id                -> coupons.id     (NULL for most orders)
--   order_items.order_id            -> orders.id      (NOT NULL)
--   order_items.product_id          -> products.id    (NOT NULL)
--   reviews.product_id              -> products.id    (NOT NULL)
--   reviews.customer_id             -> customers.id   (NULL for anonymous reviews)

CREATE TABLE customers (
    id               INT          NOT NULL AUTO_INCREMENT,
    email            VARCHAR(191) NOT NULL,
    first_name       VARCHAR(100) NOT NULL,
    last_name        VARCHAR(100) NULL,
    phone            VARCHAR(32)  NULL,
    marketing_opt_in TINYINT(1)   NOT NULL DEFAULT 0,
    loyalty_points   INT          NOT NULL DEFAULT 0,
    birth_date       DATE         NULL,
    preferences      JSON         NULL,
    created_at       DATETIME     NOT NULL,
    updated_at       TIMESTAMP    NULL DEFAULT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_customers_email (email),
    KEY idx_customers_last_name (last_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE addresses (
    id           INT          NOT NULL AUTO_INCREMENT,
    customer_id  INT          NOT NULL,
    label        VARCHAR(50)  NOT NULL DEFAULT '',
    recipient    VARCHAR(200) NOT NULL,
    line1        VARCHAR(200) NOT NULL,
    line2        VARCHAR(200) NULL,
    city         VARCHAR(100) NOT NULL,
    postal_code  VARCHAR(20)  NULL,
    country_code CHAR(2)      NOT NULL,
    is_default   TINYINT(1)   NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    KEY idx_addresses_customer (customer_id),
    CONSTRAINT fk_addresses_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE categories (
    id          INT          NOT NULL AUTO_INCREMENT,
    parent_id   INT          NULL,
    name        VARCHAR(100) NOT NULL,
    slug        VARCHAR(100) NOT NULL,
    description TEXT         NULL,
    sort_order  SMALLINT     NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uq_categories_slug (slug),
    KEY idx_categories_parent (parent_id),
    CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
    id           INT            NOT NULL AUTO_INCREMENT,
    category_id  INT            NOT NULL,
    sku          VARCHAR(32)    NOT NULL,
    name         VARCHAR(200)   NOT NULL,
    description  TEXT           NULL,
    price        DECIMAL(10,2)  NOT NULL,
    weight_grams INT            NULL,
    stock        INT            NOT NULL DEFAULT 0,
    is_active    TINYINT(1)     NOT NULL DEFAULT 1,
    tags         JSON           NULL,
    created_at   DATETIME       NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_products_sku (sku),
    KEY idx_products_category_price (category_id, price),
    CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE RESTRICT,
    CONSTRAINT chk_products_price CHECK (price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE coupons (
    id          INT          NOT NULL AUTO_INCREMENT,
    code        VARCHAR(32)  NOT NULL,
    percent_off DECIMAL(5,2) NOT NULL,
    valid_until DATE         NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_coupons_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE orders (
    id                  BIGINT        NOT NULL AUTO_INCREMENT,
    customer_id         INT           NOT NULL,
    shipping_address_id INT           NULL,
    coupon_id           INT           NULL,
    status              VARCHAR(20)   NOT NULL,
    currency            CHAR(3)       NOT NULL DEFAULT 'EUR',
    subtotal            DECIMAL(10,2) NOT NULL,
    discount            DECIMAL(10,2) NOT NULL DEFAULT 0.00,
    shipping_fee        DECIMAL(10,2) NOT NULL DEFAULT 0.00,
    total               DECIMAL(10,2) NOT NULL,
    is_gift             TINYINT(1)    NOT NULL DEFAULT 0,
    notes               TEXT          NULL,
    placed_at           DATETIME      NOT NULL,
    shipped_at          DATETIME      NULL,
    PRIMARY KEY (id),
    KEY idx_orders_customer_placed (customer_id, placed_at),
    KEY idx_orders_status_placed (status, placed_at),
    KEY idx_orders_shipping_address (shipping_address_id),
    KEY idx_orders_coupon (coupon_id),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
    CONSTRAINT fk_orders_shipping_address FOREIGN KEY (shipping_address_id) REFERENCES addresses (id) ON DELETE SET NULL,
    CONSTRAINT fk_orders_coupon FOREIGN KEY (coupon_id) REFERENCES coupons (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_items (
    id           BIGINT        NOT NULL AUTO_INCREMENT,
    order_id     BIGINT        NOT NULL,
    line_no      SMALLINT      NOT NULL,
    product_id   INT           NOT NULL,
    quantity     INT           NOT NULL,
    unit_price   DECIMAL(10,2) NOT NULL,
    line_total   DECIMAL(10,2) NOT NULL,
    gift_message VARCHAR(255)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_order_items_line (order_id, line_no),
    KEY idx_order_items_product (product_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT,
    CONSTRAINT chk_order_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE reviews (
    id          INT          NOT NULL AUTO_INCREMENT,
    product_id  INT          NOT NULL,
    customer_id INT          NULL,
    rating      TINYINT      NOT NULL,
    title       VARCHAR(200) NULL,
    body        TEXT         NOT NULL,
    is_verified TINYINT(1)   NOT NULL DEFAULT 0,
    created_at  DATETIME     NOT NULL,
    PRIMARY KEY (id),
    KEY idx_reviews_product (product_id, created_at),
    KEY idx_reviews_customer (customer_id),
    CONSTRAINT fk_reviews_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL,
    CONSTRAINT chk_reviews_rating CHECK (rating BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
