-- Customer reference data: the four membership tiers (silver, gold, platinum, diamond)
-- with their qualification thresholds and member benefits.
--
-- Idempotent: rows are keyed by tier code and skipped when present, so re-running never
-- overwrites thresholds that the marketing team has since tuned. Spend thresholds are in
-- paise over a rolling 12 months (Rs 15,000 = 1,500,000 paise); points are earned at one
-- point per Rs 100 spent before the tier multiplier.

insert into public.customer_loyalty_tiers (
  code, name, rank, min_points, min_spend, qualification_window_months,
  points_multiplier, discount_percentage, benefits
)
values
  (
    'silver', 'Silver', 1, 0, 0, 12, 1.00, 0.00,
    '{
      "welcome_bonus_points": 100,
      "birthday_bonus_points": 200,
      "free_cancellation_hours": 4,
      "priority_booking": false,
      "free_addons_per_year": 0,
      "home_service_fee_waiver": false,
      "dedicated_support": false
    }'::jsonb
  ),
  (
    'gold', 'Gold', 2, 1500, 1500000, 12, 1.25, 5.00,
    '{
      "birthday_bonus_points": 500,
      "free_cancellation_hours": 2,
      "priority_booking": false,
      "free_addons_per_year": 2,
      "home_service_fee_waiver": false,
      "dedicated_support": false
    }'::jsonb
  ),
  (
    'platinum', 'Platinum', 3, 5000, 5000000, 12, 1.50, 10.00,
    '{
      "birthday_bonus_points": 1000,
      "free_cancellation_hours": 1,
      "priority_booking": true,
      "free_addons_per_year": 6,
      "home_service_fee_waiver": true,
      "dedicated_support": false
    }'::jsonb
  ),
  (
    'diamond', 'Diamond', 4, 15000, 15000000, 12, 2.00, 15.00,
    '{
      "birthday_bonus_points": 2500,
      "free_cancellation_hours": 0,
      "priority_booking": true,
      "free_addons_per_year": 12,
      "home_service_fee_waiver": true,
      "dedicated_support": true,
      "complimentary_sessions_per_year": 1
    }'::jsonb
  )
on conflict (code) do nothing;
