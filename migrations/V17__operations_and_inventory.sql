-- Operations & inventory: the oils, linen, consumables and equipment that spa visits and
-- home services use up, where they are stored, who supplies them, what was ordered, and
-- the durable assets (massage tables, steamers, vehicles, laptops) in someone's custody.
--
-- Stock is a ledger: every movement is an append-only stock_transactions row, and an
-- item's quantity_on_hand is maintained from it by the database (and refused if written
-- directly), so the balance always equals the sum of its movements and can never go
-- negative. Purchase orders carry GST split the Indian way: CGST + SGST within a state,
-- IGST across states.

-- warehouses -------------------------------------------------------------------------------

create table public.warehouses (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z0-9-]{2,20}$'),
  name text not null,
  vendor_id uuid references public.vendors (id) on delete cascade,
  address jsonb not null,
  pincode text check (pincode ~ '^[1-9][0-9]{5}$'),
  city_id uuid not null references public.cities (id) on delete restrict,
  location extensions.geography(point, 4326),
  gstin text check (gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  contact_name text,
  contact_mobile text check (contact_mobile ~ '^\+[1-9][0-9]{7,14}$'),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_warehouses_vendor_id on public.warehouses (vendor_id);
create index idx_warehouses_city_id on public.warehouses (city_id);
create index idx_warehouses_status on public.warehouses (status);
create index idx_warehouses_location on public.warehouses using gist (location);

create trigger set_updated_at before update on public.warehouses
  for each row execute function private.set_updated_at();

alter table public.warehouses enable row level security;

comment on table public.warehouses is 'Places stock is kept: OMBARO''s city stores and vendors'' own store rooms.';
comment on column public.warehouses.code is 'Short code printed on labels and POs, e.g. BLR-CENTRAL.';
comment on column public.warehouses.vendor_id is 'Vendor whose store room this is; null for OMBARO''s own warehouses.';
comment on column public.warehouses.address is '{"line1", "line2", "landmark", "city", "state", "pincode"}.';
comment on column public.warehouses.gstin is 'GST registration of the premises, which sets the place of supply for purchases.';
comment on column public.warehouses.contact_mobile is 'E.164 form (+91XXXXXXXXXX).';

-- suppliers --------------------------------------------------------------------------------

create table public.suppliers (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  legal_name text,
  gstin text unique check (gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  pan text check (pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$'),
  udyam_number text check (udyam_number ~ '^UDYAM-[A-Z]{2}-[0-9]{2}-[0-9]{7}$'),
  contact_name text,
  contact_email text,
  contact_mobile text check (contact_mobile ~ '^\+[1-9][0-9]{7,14}$'),
  address jsonb,
  state_id uuid references public.states (id) on delete restrict,
  city_id uuid references public.cities (id) on delete restrict,
  payment_terms_days integer not null default 30 check (payment_terms_days between 0 and 365),
  payment_terms text,
  status text not null default 'active' check (status in ('active', 'inactive', 'blacklisted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The PAN is characters 3-12 of the GSTIN.
  constraint suppliers_pan_matches_gstin check (gstin is null or pan is null or substr(gstin, 3, 10) = pan)
);

create index idx_suppliers_state_id on public.suppliers (state_id);
create index idx_suppliers_city_id on public.suppliers (city_id);
create index idx_suppliers_status on public.suppliers (status);
create index idx_suppliers_pan on public.suppliers (pan);
create index idx_suppliers_name_trgm on public.suppliers using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.suppliers
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.suppliers
  for each row execute function private.audit_row();

alter table public.suppliers enable row level security;

comment on table public.suppliers is 'Businesses OMBARO and its vendors buy stock and equipment from.';
comment on column public.suppliers.gstin is '15-character GST identification number; null for unregistered suppliers (reverse charge may apply).';
comment on column public.suppliers.pan is 'Permanent Account Number, for TDS under the Income-tax Act.';
comment on column public.suppliers.udyam_number is 'MSME Udyam registration; MSME suppliers must be paid within 45 days (MSMED Act s.15).';
comment on column public.suppliers.state_id is 'State of registration: same state as the receiving warehouse means CGST + SGST, otherwise IGST.';
comment on column public.suppliers.payment_terms_days is 'Credit period in days from invoice.';

-- inventory_items --------------------------------------------------------------------------

create table public.inventory_items (
  id uuid primary key default gen_random_uuid(),
  sku text not null check (sku ~ '^[A-Z0-9-]{3,40}$'),
  name text not null,
  category text not null check (category in ('oils', 'linen', 'consumables', 'equipment')),
  unit text not null check (unit in ('ml', 'l', 'g', 'kg', 'piece', 'pair', 'pack', 'box', 'roll', 'set')),
  warehouse_id uuid not null references public.warehouses (id) on delete restrict,
  vendor_id uuid references public.vendors (id) on delete cascade,
  preferred_supplier_id uuid references public.suppliers (id) on delete set null,
  quantity_on_hand numeric(12,3) not null default 0 check (quantity_on_hand >= 0),
  reorder_level numeric(12,3) not null default 0 check (reorder_level >= 0),
  reorder_quantity numeric(12,3) check (reorder_quantity > 0),
  unit_cost bigint not null default 0 check (unit_cost >= 0),
  hsn_code text check (hsn_code ~ '^[0-9]{4,8}$'),
  gst_rate numeric(5,2) check (gst_rate between 0 and 28),
  expiry_tracked boolean not null default false,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint inventory_items_warehouse_sku_key unique (warehouse_id, sku)
);

create index idx_inventory_items_sku on public.inventory_items (sku);
create index idx_inventory_items_vendor_id on public.inventory_items (vendor_id);
create index idx_inventory_items_preferred_supplier_id on public.inventory_items (preferred_supplier_id);
create index idx_inventory_items_category on public.inventory_items (category);
-- The reorder report.
create index idx_inventory_items_low_stock on public.inventory_items (warehouse_id)
  where is_active and quantity_on_hand <= reorder_level;

-- quantity_on_hand belongs to the ledger: it starts at zero and only the stock_transactions
-- trigger (which raises ombaro.stock_ledger for its own update) may change it.
create or replace function private.guard_quantity_on_hand()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.quantity_on_hand <> 0 then
      raise exception 'inventory_items.quantity_on_hand starts at 0' using errcode = '42501',
        hint = 'record opening stock as an adjustment in stock_transactions';
    end if;
  elsif new.quantity_on_hand is distinct from old.quantity_on_hand
        and coalesce(current_setting('ombaro.stock_ledger', true), '') <> 'on' then
    raise exception 'inventory_items.quantity_on_hand is kept by stock_transactions' using errcode = '42501',
      hint = 'insert a stock_transactions row instead';
  end if;
  return new;
end
$$;

create trigger guard_quantity_on_hand before insert or update on public.inventory_items
  for each row execute function private.guard_quantity_on_hand();
create trigger set_updated_at before update on public.inventory_items
  for each row execute function private.set_updated_at();

alter table public.inventory_items enable row level security;

comment on table public.inventory_items is 'A stock-keeping unit held in one warehouse; the same SKU in two warehouses is two rows.';
comment on column public.inventory_items.sku is 'Stock-keeping unit code, shared across warehouses, e.g. OIL-ALMOND-500.';
comment on column public.inventory_items.vendor_id is 'Vendor who owns the stock; null for OMBARO stock.';
comment on column public.inventory_items.quantity_on_hand is 'Current balance in unit, kept from stock_transactions; never negative.';
comment on column public.inventory_items.reorder_level is 'At or below this balance the item appears on the reorder report.';
comment on column public.inventory_items.reorder_quantity is 'Usual quantity to order when reordering.';
comment on column public.inventory_items.unit_cost is 'Latest purchase cost of one unit, excluding GST, in paise.';
comment on column public.inventory_items.hsn_code is 'HSN code for GST invoices (e.g. 3304 for massage oils and cosmetics).';
comment on column public.inventory_items.gst_rate is 'GST rate in percent charged on purchase.';

-- purchase_orders --------------------------------------------------------------------------

create table public.purchase_orders (
  id uuid primary key default gen_random_uuid(),
  po_number text not null unique,
  supplier_id uuid not null references public.suppliers (id) on delete restrict,
  warehouse_id uuid not null references public.warehouses (id) on delete restrict,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'approved', 'received', 'cancelled')),
  lines jsonb not null default '[]',
  subtotal_amount bigint not null default 0 check (subtotal_amount >= 0),
  cgst_amount bigint not null default 0 check (cgst_amount >= 0),
  sgst_amount bigint not null default 0 check (sgst_amount >= 0),
  igst_amount bigint not null default 0 check (igst_amount >= 0),
  total_amount bigint not null default 0 check (total_amount >= 0),
  order_date date not null default current_date,
  expected_date date,
  received_date date,
  created_by uuid references auth.users (id) on delete set null,
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  cancellation_reason text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint purchase_orders_lines_array check (jsonb_typeof(lines) = 'array'),
  constraint purchase_orders_total_check check (total_amount = subtotal_amount + cgst_amount + sgst_amount + igst_amount),
  -- Intra-state supply is taxed CGST + SGST, inter-state supply IGST, never both.
  constraint purchase_orders_gst_split check (igst_amount = 0 or (cgst_amount = 0 and sgst_amount = 0)),
  constraint purchase_orders_approved_check check (status not in ('approved', 'received') or approved_at is not null),
  constraint purchase_orders_received_check check (status <> 'received' or received_date is not null),
  constraint purchase_orders_cancelled_check check (status <> 'cancelled' or cancellation_reason is not null),
  constraint purchase_orders_dates_check check (expected_date is null or expected_date >= order_date)
);

create index idx_purchase_orders_supplier_id on public.purchase_orders (supplier_id, order_date desc);
create index idx_purchase_orders_warehouse_id on public.purchase_orders (warehouse_id);
create index idx_purchase_orders_status on public.purchase_orders (status);
create index idx_purchase_orders_created_by on public.purchase_orders (created_by);
create index idx_purchase_orders_approved_by on public.purchase_orders (approved_by);
create index idx_purchase_orders_expected_date on public.purchase_orders (expected_date) where status in ('submitted', 'approved');

create trigger set_updated_at before update on public.purchase_orders
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.purchase_orders
  for each row execute function private.audit_row();

alter table public.purchase_orders enable row level security;

comment on table public.purchase_orders is 'Orders placed with suppliers for delivery to a warehouse; goods received are booked as receipt rows in stock_transactions.';
comment on column public.purchase_orders.po_number is 'Human-facing number printed on the order, e.g. PO-2025-000123.';
comment on column public.purchase_orders.lines is 'Order lines: [{"inventory_item_id", "sku", "description", "hsn_code", "quantity", "unit", "unit_price_paise", "gst_rate", "taxable_paise", "gst_paise"}].';
comment on column public.purchase_orders.subtotal_amount is 'Taxable value of all lines, in paise.';
comment on column public.purchase_orders.cgst_amount is 'Central GST (intra-state supply), in paise.';
comment on column public.purchase_orders.sgst_amount is 'State GST (intra-state supply), in paise.';
comment on column public.purchase_orders.igst_amount is 'Integrated GST (inter-state supply), in paise.';
comment on column public.purchase_orders.total_amount is 'Subtotal plus GST, in paise.';
comment on column public.purchase_orders.created_by is 'Account that raised the order (an employee or a vendor''s staff).';
comment on column public.purchase_orders.approved_at is 'When the order was approved; kept even if the approver is later removed.';

-- stock_transactions -----------------------------------------------------------------------

create table public.stock_transactions (
  id uuid primary key default gen_random_uuid(),
  inventory_item_id uuid not null references public.inventory_items (id) on delete restrict,
  warehouse_id uuid not null references public.warehouses (id) on delete restrict,
  transaction_type text not null check (transaction_type in ('receipt', 'issue', 'transfer', 'adjustment', 'return')),
  quantity numeric(12,3) not null check (quantity <> 0),
  unit_cost bigint check (unit_cost >= 0),
  purchase_order_id uuid references public.purchase_orders (id) on delete restrict,
  booking_id uuid references public.bookings (id) on delete restrict,
  transfer_group_id uuid,
  performed_by uuid references auth.users (id) on delete restrict,
  reason text,
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint stock_transactions_receipt_in check (transaction_type <> 'receipt' or quantity > 0),
  constraint stock_transactions_issue_out check (transaction_type <> 'issue' or quantity < 0),
  constraint stock_transactions_transfer_group check (transaction_type <> 'transfer' or transfer_group_id is not null),
  constraint stock_transactions_adjustment_reason check (transaction_type <> 'adjustment' or reason is not null)
);

create index idx_stock_transactions_item on public.stock_transactions (inventory_item_id, occurred_at desc);
create index idx_stock_transactions_warehouse_id on public.stock_transactions (warehouse_id, occurred_at desc);
create index idx_stock_transactions_purchase_order_id on public.stock_transactions (purchase_order_id);
create index idx_stock_transactions_booking_id on public.stock_transactions (booking_id);
create index idx_stock_transactions_performed_by on public.stock_transactions (performed_by);
create index idx_stock_transactions_transfer_group_id on public.stock_transactions (transfer_group_id);
create index idx_stock_transactions_type on public.stock_transactions (transaction_type, occurred_at desc);

-- Applies a movement to its item's balance. The update locks the item row, so concurrent
-- issues serialise and the balance's check rejects the one that would go below zero.
create or replace function private.apply_stock_transaction()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  item_warehouse uuid;
begin
  perform set_config('ombaro.stock_ledger', 'on', true);
  update public.inventory_items
     set quantity_on_hand = quantity_on_hand + new.quantity
   where id = new.inventory_item_id
  returning warehouse_id into item_warehouse;
  perform set_config('ombaro.stock_ledger', 'off', true);

  if item_warehouse is distinct from new.warehouse_id then
    raise exception 'inventory item % is stocked in warehouse %, not %', new.inventory_item_id, item_warehouse, new.warehouse_id
      using errcode = '23514';
  end if;
  return new;
end
$$;

create trigger apply_stock_transaction before insert on public.stock_transactions
  for each row execute function private.apply_stock_transaction();
create trigger forbid_change before update or delete on public.stock_transactions
  for each row execute function private.forbid_change();

alter table public.stock_transactions enable row level security;

comment on table public.stock_transactions is 'Append-only stock ledger: one row per movement of one item; corrections are adjustment rows.';
comment on column public.stock_transactions.warehouse_id is 'Warehouse of the item, repeated so ledger reports per warehouse need no join; must match the item.';
comment on column public.stock_transactions.transaction_type is 'receipt (from a supplier, +), issue (used on a booking or handed to a therapist, -), transfer (one - and one + row sharing transfer_group_id), adjustment (stock count, opening stock; +/-), return (to a supplier -, or back from a therapist +).';
comment on column public.stock_transactions.quantity is 'Signed change to quantity_on_hand in the item''s unit: positive in, negative out.';
comment on column public.stock_transactions.unit_cost is 'Cost of one unit for receipts, excluding GST, in paise.';
comment on column public.stock_transactions.booking_id is 'Booking the stock was used for (issues of oils and consumables).';
comment on column public.stock_transactions.transfer_group_id is 'Pairs the outgoing and incoming rows of one transfer between warehouses.';
comment on column public.stock_transactions.occurred_at is 'When the goods physically moved (may precede created_at for late entries).';

-- asset_tracking ---------------------------------------------------------------------------

create table public.asset_tracking (
  id uuid primary key default gen_random_uuid(),
  asset_tag text not null unique check (asset_tag ~ '^[A-Z0-9-]{3,30}$'),
  name text not null,
  asset_type text not null check (asset_type in (
    'massage_table', 'massage_chair', 'steamer', 'sauna', 'hot_stone_heater', 'towel_warmer',
    'vehicle', 'laptop', 'mobile_phone', 'tablet', 'furniture', 'other'
  )),
  serial_number text,
  registration_number text,
  assigned_vendor_id uuid references public.vendors (id) on delete restrict,
  assigned_employee_id uuid references public.employees (id) on delete restrict,
  assigned_therapist_id uuid references public.therapists (id) on delete restrict,
  warehouse_id uuid references public.warehouses (id) on delete set null,
  assigned_at timestamptz,
  supplier_id uuid references public.suppliers (id) on delete set null,
  purchase_date date,
  purchase_cost bigint check (purchase_cost >= 0),
  invoice_number text,
  warranty_until date,
  next_service_due date,
  condition text not null default 'new' check (condition in ('new', 'good', 'fair', 'poor', 'damaged')),
  status text not null default 'in_stock' check (status in ('in_stock', 'assigned', 'under_maintenance', 'lost', 'retired', 'disposed')),
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint asset_tracking_single_custodian check (num_nonnulls(assigned_vendor_id, assigned_employee_id, assigned_therapist_id) <= 1),
  constraint asset_tracking_assigned_check check (
    (status = 'assigned') = (num_nonnulls(assigned_vendor_id, assigned_employee_id, assigned_therapist_id) = 1)
  ),
  constraint asset_tracking_vehicle_registration check (asset_type <> 'vehicle' or registration_number is not null)
);

create index idx_asset_tracking_assigned_vendor_id on public.asset_tracking (assigned_vendor_id);
create index idx_asset_tracking_assigned_employee_id on public.asset_tracking (assigned_employee_id);
create index idx_asset_tracking_assigned_therapist_id on public.asset_tracking (assigned_therapist_id);
create index idx_asset_tracking_warehouse_id on public.asset_tracking (warehouse_id);
create index idx_asset_tracking_supplier_id on public.asset_tracking (supplier_id);
create index idx_asset_tracking_status on public.asset_tracking (status);
create index idx_asset_tracking_type on public.asset_tracking (asset_type);
create index idx_asset_tracking_service_due on public.asset_tracking (next_service_due)
  where status not in ('lost', 'retired', 'disposed');

create trigger set_updated_at before update on public.asset_tracking
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.asset_tracking
  for each row execute function private.audit_row();

alter table public.asset_tracking enable row level security;

comment on table public.asset_tracking is 'Durable assets and who holds them; an asset must be returned before its custodian''s record can be deleted.';
comment on column public.asset_tracking.asset_tag is 'Label fixed on the asset, e.g. OMB-MT-000123.';
comment on column public.asset_tracking.registration_number is 'RTO registration for vehicles used by travelling therapists.';
comment on column public.asset_tracking.assigned_vendor_id is 'Custodian when lent to a vendor; at most one custodian is set, exactly one when status is assigned.';
comment on column public.asset_tracking.warehouse_id is 'Where the asset is stored when not assigned, or its home store.';
comment on column public.asset_tracking.purchase_cost is 'Purchase price excluding GST, in paise.';
comment on column public.asset_tracking.next_service_due is 'Next preventive maintenance date (e.g. steamer descaling, vehicle service).';
