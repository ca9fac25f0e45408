//! The tables the demo load writes, in load order, and how each one's rows are formatted
//! from the generated world. Pure: rows go into a buffer, the loader sends them.
//!
//! The load runs with triggers off, so these rows also carry what the triggers would have
//! written: status histories and assignment timelines, booking numbers, gateway codes,
//! loyalty balances, refund roll-ups and review counters.

use std::ops::Range;

use rand::Rng;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    copy::RowBuf,
    generate::{local_day, local_minute, Booking, Fate, Kind, UnpaidReason, World},
};

const DAY: i64 = 86_400;

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// How many driving items (users, bookings ...) the table is made from.
    pub len: fn(&World) -> usize,
    /// Formats the rows of the driving items in `range`.
    pub emit: fn(&World, Range<usize>, &mut RowBuf),
}

pub static TABLES: &[Table] = &[
    Table {
        name: "auth.users",
        columns: &[
            "instance_id",
            "id",
            "aud",
            "role",
            "email",
            "email_confirmed_at",
            "confirmation_token",
            "recovery_token",
            "email_change_token_new",
            "email_change",
            "raw_app_meta_data",
            "raw_user_meta_data",
            "created_at",
            "updated_at",
        ],
        len: |w| w.users.len(),
        emit: auth_users,
    },
    Table {
        name: "public.user_profiles",
        columns: &[
            "id",
            "name",
            "mobile",
            "gender",
            "date_of_birth",
            "role",
            "status",
            "address",
            "created_at",
            "updated_at",
        ],
        len: |w| w.users.len(),
        emit: user_profiles,
    },
    Table {
        name: "public.role_assignment_history",
        columns: &[
            "id",
            "user_id",
            "role_code",
            "action",
            "to_role",
            "source",
            "changed_at",
            "created_at",
        ],
        len: |w| w.users.len(),
        emit: role_assignment_history,
    },
    Table {
        name: "public.customers",
        columns: &[
            "id",
            "membership_tier",
            "membership_start_date",
            "loyalty_points",
            "total_bookings",
            "total_spent",
            "communication_preferences",
            "referral_code",
            "referred_by",
            "referral_count",
            "created_at",
            "updated_at",
        ],
        len: |w| w.customers.len(),
        emit: customers,
    },
    Table {
        name: "public.customer_addresses",
        columns: &[
            "id",
            "customer_id",
            "address_type",
            "label",
            "address_line1",
            "address_line2",
            "landmark",
            "city",
            "state",
            "pincode",
            "pincode_id",
            "latitude",
            "longitude",
            "is_default",
            "created_at",
            "updated_at",
        ],
        len: |w| w.addresses.len(),
        emit: customer_addresses,
    },
    Table {
        name: "public.vendors",
        columns: &[
            "id",
            "business_name",
            "business_type",
            "description",
            "gst_number_last4",
            "pan_number_last4",
            "business_address",
            "city_id",
            "zone_id",
            "pincode",
            "location",
            "contact_person",
            "contact_mobile",
            "contact_email",
            "services_offered",
            "operating_hours",
            "service_radius_km",
            "rating",
            "total_reviews",
            "verification_status",
            "verified_at",
            "commission_rate",
            "status",
            "created_at",
            "updated_at",
        ],
        len: |w| w.vendors.len(),
        emit: vendors,
    },
    Table {
        name: "public.vendor_staff",
        columns: &[
            "id",
            "vendor_id",
            "user_id",
            "name",
            "role",
            "mobile",
            "email",
            "permissions",
            "status",
            "created_at",
            "updated_at",
        ],
        len: |w| w.vendors.len(),
        emit: vendor_staff,
    },
    Table {
        name: "public.vendor_availability",
        columns: &[
            "id",
            "vendor_id",
            "day_of_week",
            "open_time",
            "close_time",
            "is_closed",
            "note",
            "created_at",
            "updated_at",
        ],
        len: |w| w.vendors.len(),
        emit: vendor_availability,
    },
    Table {
        name: "public.vendor_services",
        columns: &[
            "id",
            "vendor_id",
            "service_id",
            "durations_offered",
            "is_home_service",
            "is_in_spa",
            "home_service_surcharge",
            "display_order",
            "created_at",
            "updated_at",
        ],
        len: |w| w.vendors.len(),
        emit: vendor_services,
    },
    Table {
        name: "public.therapists",
        columns: &[
            "id",
            "user_id",
            "vendor_id",
            "name",
            "email",
            "mobile",
            "gender",
            "date_of_birth",
            "specialization",
            "experience_years",
            "languages",
            "rating",
            "total_reviews",
            "total_services",
            "status",
            "availability_status",
            "emergency_contact",
            "address",
            "home_location",
            "created_at",
            "updated_at",
        ],
        len: |w| w.therapists.len(),
        emit: therapists,
    },
    Table {
        name: "public.therapist_schedules",
        columns: &[
            "id",
            "therapist_id",
            "day_of_week",
            "start_time",
            "end_time",
            "is_available",
            "created_at",
            "updated_at",
        ],
        len: |w| w.therapists.len(),
        emit: therapist_schedules,
    },
    Table {
        name: "public.therapist_leaves",
        columns: &[
            "id",
            "therapist_id",
            "leave_type",
            "start_date",
            "end_date",
            "reason",
            "status",
            "approved_by",
            "approved_at",
            "rejection_reason",
            "created_at",
            "updated_at",
        ],
        len: |w| w.therapists.len(),
        emit: therapist_leaves,
    },
    Table {
        name: "public.bookings",
        columns: &[
            "id",
            "booking_number",
            "customer_id",
            "vendor_id",
            "booking_type",
            "source",
            "service_location",
            "address_id",
            "location",
            "booking_date",
            "booking_time",
            "scheduled_start",
            "scheduled_end",
            "timezone",
            "hold_expires_at",
            "status",
            "cancellation_reason",
            "cancelled_by",
            "cancelled_at",
            "payment_status",
            "subtotal",
            "discount_amount",
            "tax_rate",
            "tax_amount",
            "convenience_fee",
            "total_amount",
            "preferred_therapist_gender",
            "special_instructions",
            "idempotency_key",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: bookings,
    },
    Table {
        name: "public.booking_items",
        columns: &[
            "id",
            "booking_id",
            "service_id",
            "variant_id",
            "service_name",
            "duration",
            "price",
            "quantity",
            "addon_services",
            "addon_amount",
            "subtotal",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: booking_items,
    },
    Table {
        name: "public.booking_status_history",
        columns: &[
            "id",
            "booking_id",
            "from_status",
            "to_status",
            "changed_by",
            "actor_role",
            "changed_at",
            "reason",
            "created_at",
        ],
        len: |w| w.bookings.len(),
        emit: booking_status_history,
    },
    Table {
        name: "public.payments",
        columns: &[
            "id",
            "transaction_id",
            "booking_id",
            "customer_id",
            "vendor_id",
            "amount",
            "tax_amount",
            "discount_amount",
            "convenience_fee",
            "total_amount",
            "payment_method",
            "payment_gateway",
            "payment_gateway_id",
            "gateway_order_id",
            "gateway_transaction_id",
            "status",
            "payment_date",
            "failure_reason",
            "refund_amount",
            "refund_date",
            "refund_reason",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: payments,
    },
    Table {
        name: "public.refunds",
        columns: &[
            "id",
            "payment_id",
            "booking_id",
            "customer_id",
            "amount",
            "reason",
            "reason_code",
            "refund_method",
            "status",
            "gateway_refund_id",
            "requested_by",
            "approved_at",
            "processed_at",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: refunds,
    },
    Table {
        name: "public.booking_cancellations",
        columns: &[
            "id",
            "booking_id",
            "cancelled_by",
            "actor_role",
            "reason_code",
            "reason",
            "notice_minutes",
            "cancellation_fee",
            "refund_due",
            "refund_id",
            "policy",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: booking_cancellations,
    },
    Table {
        name: "public.therapist_assignments",
        columns: &[
            "id",
            "booking_id",
            "therapist_id",
            "vendor_id",
            "customer_id",
            "service_id",
            "assignment_date",
            "assignment_time",
            "scheduled_start",
            "scheduled_end",
            "status",
            "location_address",
            "location_latitude",
            "location_longitude",
            "estimated_duration",
            "actual_start_time",
            "actual_end_time",
            "actual_duration",
            "distance_traveled",
            "travel_time",
            "customer_rating",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: therapist_assignments,
    },
    Table {
        name: "public.assignment_timeline",
        columns: &[
            "id",
            "assignment_id",
            "event_type",
            "status",
            "actor_id",
            "actor_role",
            "occurred_at",
            "created_at",
        ],
        len: |w| w.bookings.len(),
        emit: assignment_timeline,
    },
    Table {
        name: "public.reviews",
        columns: &[
            "id",
            "booking_id",
            "customer_id",
            "vendor_id",
            "therapist_id",
            "service_id",
            "overall_rating",
            "service_quality_rating",
            "professionalism_rating",
            "cleanliness_rating",
            "value_for_money_rating",
            "title",
            "review_text",
            "would_recommend",
            "status",
            "moderated_at",
            "moderation_notes",
            "vendor_response",
            "vendor_responded_at",
            "helpful_count",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: reviews,
    },
    Table {
        name: "public.service_reviews",
        columns: &[
            "id",
            "review_id",
            "service_id",
            "booking_item_id",
            "rating",
            "created_at",
            "updated_at",
        ],
        len: |w| w.bookings.len(),
        emit: service_reviews,
    },
    Table {
        name: "public.loyalty_points_transactions",
        columns: &[
            "id",
            "customer_id",
            "transaction_type",
            "points",
            "balance_after",
            "booking_id",
            "description",
            "expires_at",
            "created_at",
        ],
        len: |w| w.loyalty.len(),
        emit: loyalty_points_transactions,
    },
    Table {
        name: "public.therapist_locations",
        columns: &[
            "id",
            "therapist_id",
            "assignment_id",
            "latitude",
            "longitude",
            "accuracy",
            "speed",
            "heading",
            "battery_level",
            "is_moving",
            "\"timestamp\"",
            "created_at",
        ],
        len: |w| w.trails.len(),
        emit: therapist_locations,
    },
    Table {
        name: "public.analytics_events",
        columns: &[
            "id",
            "user_id",
            "session_id",
            "event_name",
            "event_category",
            "event_properties",
            "device_info",
            "location_info",
            "\"timestamp\"",
            "created_at",
        ],
        len: |w| w.customers.len() + w.bookings.len(),
        emit: analytics_events,
    },
];

// Users ---------------------------------------------------------------------------------

fn auth_users(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for u in &w.users[range] {
        out.str("00000000-0000-0000-0000-000000000000")
            .uuid(u.id)
            .str("authenticated")
            .str("authenticated")
            .str(&u.email)
            .ts(u.created)
            .str("")
            .str("")
            .str("")
            .str("")
            .json(&json!({ "provider": "email", "providers": ["email"] }))
            .json(&json!({ "full_name": u.name, "demo": true }))
            .ts(u.created)
            .ts(u.created);
        out.end();
    }
}

fn user_profiles(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for u in &w.users[range] {
        let city = &w.reference.cities[u.city];
        out.uuid(u.id)
            .str(&u.name)
            .str(&u.mobile)
            .str(u.gender.as_str())
            .date(u.date_of_birth)
            .str(u.role.as_str())
            .str("active")
            .json(&json!({ "city": city.name, "state": city.state, "country": "India" }))
            .ts(u.created)
            .ts(u.created);
        out.end();
    }
}

fn role_assignment_history(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let u = &w.users[i];
        out.uuid(w.ids.get(Kind::RoleHistory, i as u64))
            .uuid(u.id)
            .str(u.role.as_str())
            .str("granted")
            .str(u.role.as_str())
            .str("user_profiles")
            .ts(u.created)
            .ts(u.created);
        out.end();
    }
}

fn customers(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for c in &w.customers[range] {
        let u = &w.users[c.user];
        out.uuid(u.id)
            .str(w.tier_of(c))
            .date(local_day(u.created))
            .int(c.points)
            .int(c.completed)
            .int(c.spent)
            .json(&json!({ "email": true, "sms": true, "push": c.platform != "web", "whatsapp": c.app_opens > 2 }))
            .str(&c.referral_code)
            .opt_uuid(c.referred_by.map(|r| w.user_id(w.customers[r].user)))
            .int(c.referrals)
            .ts(u.created)
            .ts(u.created);
        out.end();
    }
}

fn customer_addresses(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for a in &w.addresses[range] {
        let p = &w.reference.pincodes[a.pincode];
        let city = &w.reference.cities[p.city];
        out.uuid(a.id)
            .uuid(w.user_id(w.customers[a.customer].user))
            .str(a.kind)
            .str(a.label)
            .str(&a.line1)
            .str(&a.line2)
            .str(a.landmark)
            .str(&city.name)
            .str(&city.state)
            .str(&p.code)
            .uuid(p.id)
            .coord(a.lat)
            .coord(a.lon)
            .bool(a.is_default)
            .ts(a.created)
            .ts(a.created);
        out.end();
    }
}

// Vendors -------------------------------------------------------------------------------

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Average rating in hundredths, for numeric(3,2) columns.
fn rating(sum: i64, count: i64) -> i64 {
    if count == 0 {
        0
    } else {
        (sum * 100 + count / 2) / count
    }
}

fn vendors(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for v in &w.vendors[range] {
        let owner = &w.users[v.user];
        let p = &w.reference.pincodes[v.pincode];
        let city = &w.reference.cities[v.city];
        let hours: serde_json::Map<String, Value> = WEEKDAYS
            .iter()
            .enumerate()
            .map(|(d, name)| {
                let closed = v.closed_day == Some(d as i64);
                (
                    (*name).to_owned(),
                    json!({ "open": hhmm(v.open), "close": hhmm(v.close), "closed": closed }),
                )
            })
            .collect();
        let description = match v.kind {
            "home_service" => "Trained therapists who come to your home with table, linen and oils.",
            "salon" => "Neighbourhood salon with a quiet massage room and Ayurvedic treatments.",
            "hotel_spa" => "Hotel spa open to outside guests, with steam and couples suites.",
            "wellness_center" => "Ayurveda and wellness centre with Kerala-trained therapists.",
            _ => "Day spa with private treatment rooms, showers and a relaxation lounge.",
        };
        out.uuid(owner.id)
            .str(&v.name)
            .str(v.kind)
            .str(description)
            // The masked tails; the encrypted columns are filled after the load
            // (`encrypt_tax_ids`), through the database's key.
            .str(&v.gst_number[v.gst_number.len() - 4..])
            .str(&v.pan_number[v.pan_number.len() - 4..])
            .json(&json!({
                "line1": v.line1,
                "line2": p.area,
                "city": city.name,
                "state": city.state,
                "pincode": p.code,
            }))
            .uuid(city.id)
            .opt_uuid(p.zone_id)
            .str(&p.code)
            .point(v.lat, v.lon)
            .str(&owner.name)
            .str(&owner.mobile)
            .str(&owner.email)
            .array(v.services.iter().map(|s| w.reference.services[s.service].id))
            .json(&Value::Object(hours))
            .decimal(v.radius_km * 100, 2)
            .decimal(rating(v.rating_sum, v.rating_count), 2)
            .int(v.rating_count)
            .str("verified")
            .ts(v.verified)
            .decimal(v.commission_bps, 2)
            .str("active")
            .ts(v.created)
            .ts(v.verified);
        out.end();
    }
}

fn vendor_staff(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for v in &w.vendors[range] {
        let owner = &w.users[v.user];
        let manager = &w.users[v.manager];
        out.uuid(v.staff_ids[0])
            .uuid(owner.id)
            .uuid(manager.id)
            .str(&manager.name)
            .str("manager")
            .str(&manager.mobile)
            .str(&manager.email)
            .text_array(["bookings.manage", "therapists.manage", "payouts.view"])
            .str("active")
            .ts(manager.created)
            .ts(manager.created);
        out.end();
        out.uuid(v.staff_ids[1])
            .uuid(owner.id)
            .null()
            .str(&v.receptionist.0)
            .str("receptionist")
            .str(&v.receptionist.1)
            .null()
            .text_array(["bookings.manage"])
            .str("active")
            .ts(manager.created)
            .ts(manager.created);
        out.end();
    }
}

fn vendor_availability(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let v = &w.vendors[i];
        let owner = w.user_id(v.user);
        for d in 0..7 {
            out.uuid(w.ids.get(Kind::VendorAvailability, (i * 7 + d) as u64))
                .uuid(owner)
                .int(d as i64);
            if v.closed_day == Some(d as i64) {
                out.null().null().bool(true).str("Weekly off");
            } else {
                out.time(v.open).time(v.close).bool(false).null();
            }
            out.ts(v.created).ts(v.created);
            out.end();
        }
    }
}

fn vendor_services(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for v in &w.vendors[range] {
        let owner = w.user_id(v.user);
        for (i, vs) in v.services.iter().enumerate() {
            let svc = &w.reference.services[vs.service];
            out.uuid(vs.id)
                .uuid(owner)
                .uuid(svc.id)
                .array(svc.variants.iter().map(|&x| w.reference.variants[x].duration))
                .bool(vs.is_home)
                .bool(vs.is_in_spa)
                .int(vs.surcharge)
                .int(i as i64 * 10)
                .ts(v.verified)
                .ts(v.verified);
            out.end();
        }
    }
}

fn therapists(w: &World, range: Range<usize>, out: &mut RowBuf) {
    let now = w.now();
    let today = local_day(now);
    let minute = local_minute(now);
    for t in &w.therapists[range] {
        let u = &w.users[t.user];
        let vendor = &w.vendors[t.vendor];
        let city = &w.reference.cities[vendor.city];
        let on_leave = t
            .leave
            .as_ref()
            .is_some_and(|l| l.status == "approved" && l.start_day <= today && today <= l.end_day);
        let availability = if t.in_progress {
            "busy"
        } else if !on_leave
            && super::generate::weekday(today) != t.off_day
            && (t.shift_start..t.shift_end).contains(&minute)
        {
            "available"
        } else {
            "offline"
        };
        let contact_name = &w.users[(t.user + 1) % w.users.len()].name;
        out.uuid(t.id)
            .uuid(u.id)
            .uuid(w.user_id(vendor.user))
            .str(&u.name)
            .str(&u.email)
            .str(&u.mobile)
            .str(u.gender.as_str())
            .date(u.date_of_birth)
            .text_array(t.specialization.iter().map(|&s| w.reference.services[s].code.as_str()))
            .int(t.experience)
            .text_array(t.languages.iter().copied())
            .decimal(rating(t.rating_sum, t.rating_count), 2)
            .int(t.rating_count)
            .int(t.completed)
            .str(if on_leave { "on_leave" } else { "active" })
            .str(availability)
            .json(&json!({ "name": contact_name, "relation": "sibling", "phone": w.users[(t.user + 1) % w.users.len()].mobile }))
            .json(&json!({ "city": city.name, "state": city.state }))
            .point(t.home_lat, t.home_lon)
            .ts(u.created)
            .ts(u.created);
        out.end();
    }
}

fn therapist_schedules(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let t = &w.therapists[i];
        let created = w.users[t.user].created;
        for d in 0..7 {
            out.uuid(w.ids.get(Kind::Schedule, (i * 7 + d) as u64))
                .uuid(t.id)
                .int(d as i64)
                .time(t.shift_start)
                .time(t.shift_end)
                .bool(d as i64 != t.off_day)
                .ts(created)
                .ts(created);
            out.end();
        }
    }
}

fn therapist_leaves(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for t in &w.therapists[range] {
        let Some(l) = &t.leave else { continue };
        let approved = l.status == "approved";
        out.uuid(l.id)
            .uuid(t.id)
            .str(l.kind)
            .date(l.start_day)
            .date(l.end_day)
            .str(l.reason)
            .str(l.status)
            .opt_uuid(approved.then(|| w.user_id(w.vendors[t.vendor].user)))
            .opt_ts(if approved { l.decided } else { None })
            .opt_str((l.status == "rejected").then_some("Peak season: too few therapists on those dates"))
            .ts(l.created)
            .ts(l.decided.unwrap_or(l.created));
        out.end();
    }
}

// Bookings ------------------------------------------------------------------------------

/// Who cancelled and why: (reason code, reason, user, actor role).
fn cancellation(w: &World, b: &Booking) -> Option<(&'static str, &'static str, Option<Uuid>, &'static str)> {
    let customer = Some(w.customer_user(b).id);
    let vendor = Some(w.vendor_owner(b).id);
    Some(match b.fate {
        Fate::Unpaid(UnpaidReason::HoldExpired) => ("hold_expired", "Payment window expired", None, "system"),
        Fate::Unpaid(UnpaidReason::PaymentFailed) => ("payment_failed", "Payment failed", None, "system"),
        Fate::Unpaid(UnpaidReason::ChangedMind) => ("change_of_plans", "Change of plans", customer, "customer"),
        Fate::Refunded { by_vendor: false } => {
            if b.id.as_bytes()[0].is_multiple_of(2) {
                (
                    "change_of_plans",
                    "Something came up, will book later",
                    customer,
                    "customer",
                )
            } else {
                ("found_alternative", "Booked another slot", customer, "customer")
            }
        }
        Fate::Refunded { by_vendor: true } => (
            "therapist_unavailable",
            "No therapist available for the slot",
            vendor,
            "vendor",
        ),
        Fate::NoShow => ("customer_no_show", "Customer did not show up", vendor, "vendor"),
        _ => return None,
    })
}

fn first_therapist_user(w: &World, b: &Booking) -> Option<Uuid> {
    w.assignments
        .get(b.assignments.start)
        .filter(|_| !b.assignments.is_empty())
        .map(|a| w.user_id(w.therapists[a.therapist].user))
}

/// The statuses a booking went through: (status, when, by whom, JWT role).
fn booking_steps(w: &World, b: &Booking) -> Vec<(&'static str, i64, Option<Uuid>, &'static str)> {
    let customer = Some(w.customer_user(b).id);
    let vendor = Some(w.vendor_owner(b).id);
    let therapist = first_therapist_user(w, b);
    let mut steps = vec![("pending", b.created, customer, "authenticated")];
    if let Some(at) = b.confirmed_at {
        steps.push(("confirmed", at, None, "service_role"));
    }
    if let Some(at) = b.assigned_at {
        steps.push(("assigned", at, vendor, "partner"));
    }
    if let Some(at) = b.started_at {
        steps.push(("in_progress", at, therapist, "partner"));
    }
    if let Some(at) = b.completed_at {
        steps.push(("completed", at, therapist, "partner"));
    }
    if let (Some(at), Some((_, _, by, role))) = (b.cancelled_at, cancellation(w, b)) {
        // The role each side's token names (V24's signed-in roles).
        let jwt_role = match role {
            "system" => "service_role",
            "vendor" => "partner",
            _ => "authenticated",
        };
        steps.push(("cancelled", at, by, jwt_role));
    }
    steps
}

fn last_change(w: &World, b: &Booking) -> i64 {
    booking_steps(w, b).last().map(|s| s.1).unwrap_or(b.created)
}

fn bookings(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        let cancel = cancellation(w, b);
        let mut location = json!({ "address": b.place, "latitude": round6(b.lat), "longitude": round6(b.lon) });
        if let Some(l) = b.landmark {
            location["landmark"] = json!(l);
        }
        out.uuid(b.id)
            .str(&b.number)
            .uuid(w.customer_user(b).id)
            .uuid(w.vendor_owner(b).id)
            .str(b.kind.as_str())
            .str(b.source)
            .json(&location)
            .opt_uuid(b.address.map(|a| w.addresses[a].id))
            .point(b.lat, b.lon)
            .date(local_day(b.start))
            .time(local_minute(b.start))
            .ts(b.start)
            .ts(b.end)
            .str("Asia/Kolkata")
            .opt_ts(b.hold_expires_at())
            .str(b.fate.status())
            .opt_str(cancel.map(|c| c.1))
            .opt_uuid(cancel.and_then(|c| c.2))
            .opt_ts(b.cancelled_at)
            .str(b.fate.payment_status())
            .int(b.subtotal)
            .int(b.discount)
            .decimal(b.tax_rate, 2)
            .int(b.tax)
            .int(b.fee)
            .int(b.total)
            .str(b.preferred_gender)
            .opt_str(b.instructions)
            .str(&format!("bk-{}", b.id.simple()))
            .ts(b.created)
            .ts(last_change(w, b));
        out.end();
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn booking_items(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        for item in &w.items[b.items.clone()] {
            let svc = &w.reference.services[item.service];
            let addons: Vec<Value> = item
                .addons
                .iter()
                .map(|&a| {
                    let addon = &w.reference.addons[a];
                    json!({
                        "id": addon.id,
                        "code": addon.code,
                        "name": addon.name,
                        "price": addon.price,
                        "duration": addon.duration,
                    })
                })
                .collect();
            out.uuid(item.id)
                .uuid(b.id)
                .uuid(svc.id)
                .uuid(w.reference.variants[item.variant].id)
                .str(&svc.name)
                .int(item.duration)
                .int(item.price)
                .int(item.quantity)
                .json(&Value::Array(addons))
                .int(item.addon_amount)
                .int(item.subtotal())
                .ts(b.created)
                .ts(b.created);
            out.end();
        }
    }
}

fn booking_status_history(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let b = &w.bookings[i];
        let reason = cancellation(w, b).map(|c| c.1);
        let mut from: Option<&str> = None;
        for (k, (status, at, by, role)) in booking_steps(w, b).into_iter().enumerate() {
            out.uuid(w.ids.get(Kind::History, (i * 8 + k) as u64))
                .uuid(b.id)
                .opt_str(from)
                .str(status)
                .opt_uuid(by)
                .str(role)
                .ts(at)
                .opt_str(if status == "cancelled" { reason } else { None })
                .ts(at);
            out.end();
            from = Some(status);
        }
    }
}

fn gateway_ids(id: Uuid, gateway: &str) -> (String, String) {
    let hex = id.simple().to_string();
    match gateway {
        "stripe" => (format!("pi_{}", &hex[..24]), format!("ch_{}", &hex[8..32])),
        "cashfree" => (format!("order_{}", &hex[..14]), format!("cf_{}", &hex[14..30])),
        "paytm" => (format!("ORDER{}", &hex[..14]), format!("PTM{}", &hex[14..30])),
        _ => (format!("order_{}", &hex[..14]), format!("pay_{}", &hex[14..28])),
    }
}

fn payments(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        for p in [&b.failed_payment, &b.payment].into_iter().flatten() {
            let gateway = p.gateway.map(|g| &w.reference.gateways[g]);
            let (order, txn) = match gateway {
                Some(g) => {
                    let (o, t) = gateway_ids(p.id, &g.code);
                    (Some(o), Some(t))
                }
                None => (None, None),
            };
            let refunded = b.refund.as_ref().filter(|_| p.paid_at.is_some());
            let status = match (p.paid_at, refunded) {
                (None, _) => "failed",
                (Some(_), Some(_)) => "refunded",
                _ => "success",
            };
            out.uuid(p.id)
                .str(&format!("OMB{}", &p.id.simple().to_string()[..16].to_uppercase()))
                .uuid(b.id)
                .uuid(w.customer_user(b).id)
                .uuid(w.vendor_owner(b).id)
                .int(b.subtotal)
                .int(b.tax)
                .int(b.discount)
                .int(b.fee)
                .int(b.total)
                .str(p.method)
                .opt_str(gateway.map(|g| g.code.as_str()))
                .opt_uuid(gateway.map(|g| g.id))
                .opt_str(order.as_deref())
                .opt_str(if p.paid_at.is_some() { txn.as_deref() } else { None })
                .str(status)
                .opt_ts(p.paid_at)
                .opt_str(p.failure)
                .int(if refunded.is_some() { b.total } else { 0 })
                .opt_ts(refunded.map(|r| r.processed))
                .opt_str(refunded.and_then(|_| cancellation(w, b).map(|c| c.1)))
                .ts(p.created)
                .ts(refunded.map(|r| r.processed).or(p.paid_at).unwrap_or(p.created + 120));
            out.end();
        }
    }
}

fn refunds(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        let (Some(r), Some(p)) = (&b.refund, &b.payment) else {
            continue;
        };
        let cancel = cancellation(w, b);
        let by_vendor = matches!(b.fate, Fate::Refunded { by_vendor: true });
        let gateway = p.gateway.map(|g| w.reference.gateways[g].code.as_str());
        let refund_ref = match gateway {
            Some("stripe") => Some(format!("re_{}", &r.id.simple().to_string()[..24])),
            Some(_) => Some(format!("rfnd_{}", &r.id.simple().to_string()[..14])),
            None => None,
        };
        out.uuid(r.id)
            .uuid(p.id)
            .uuid(b.id)
            .uuid(w.customer_user(b).id)
            .int(b.total)
            .str(cancel.map(|c| c.1).unwrap_or("Booking cancelled"))
            .str(if by_vendor {
                "vendor_cancelled"
            } else {
                "booking_cancelled"
            })
            .str("original_method")
            .str("processed")
            .opt_str(refund_ref.as_deref())
            .opt_uuid(cancel.and_then(|c| c.2).filter(|_| !by_vendor))
            .ts(r.approved)
            .ts(r.processed)
            .ts(r.created)
            .ts(r.processed);
        out.end();
    }
}

fn booking_cancellations(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let b = &w.bookings[i];
        let (Some(at), Some((code, reason, by, role))) = (b.cancelled_at, cancellation(w, b)) else {
            continue;
        };
        let fee = if b.fate == Fate::NoShow { b.total } else { 0 };
        let refund_due = if b.refund.is_some() { b.total } else { 0 };
        out.uuid(w.ids.get(Kind::Cancellation, i as u64))
            .uuid(b.id)
            .opt_uuid(by)
            .str(role)
            .str(code)
            .str(reason)
            .int((b.start - at).div_euclid(60))
            .int(fee)
            .int(refund_due)
            .opt_uuid(b.refund.as_ref().map(|r| r.id))
            .json(&json!({
                "code": "standard",
                "free_until_hours": 24,
                "fee_percent": if fee > 0 { 100 } else { 0 },
                "vendor_penalty": role == "vendor" && b.fate != Fate::NoShow,
            }))
            .ts(at)
            .ts(b.refund.as_ref().map(|r| r.processed).unwrap_or(at));
        out.end();
    }
}

// Therapists at work --------------------------------------------------------------------

fn assignment_status(b: &Booking, acknowledged: bool) -> &'static str {
    match b.fate {
        Fate::Assigned { .. } if acknowledged => "acknowledged",
        Fate::Assigned { .. } => "assigned",
        Fate::InProgress => "in_progress",
        Fate::Completed => "completed",
        _ => "cancelled",
    }
}

fn therapist_assignments(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        for a in &w.assignments[b.assignments.clone()] {
            let item = &w.items[a.item];
            let travels = b.kind.travels();
            let status = assignment_status(b, a.acknowledged_at.is_some());
            let updated = [
                a.acknowledged_at,
                a.transit_at,
                a.reached_at,
                a.actual_start,
                a.actual_end,
            ]
            .into_iter()
            .flatten()
            .chain(b.cancelled_at.filter(|_| status == "cancelled"))
            .chain(a.rating.and(b.review.as_ref().map(|r| r.at)))
            .max()
            .unwrap_or_else(|| b.assigned_at.expect("assigned"));
            out.uuid(a.id)
                .uuid(b.id)
                .uuid(w.therapists[a.therapist].id)
                .uuid(w.vendor_owner(b).id)
                .uuid(w.customer_user(b).id)
                .uuid(w.reference.services[item.service].id)
                .date(local_day(a.start))
                .time(local_minute(a.start))
                .ts(a.start)
                .ts(a.end)
                .str(status)
                .str(&b.place)
                .coord(b.lat)
                .coord(b.lon)
                .int(item.minutes)
                .opt_ts(a.actual_start)
                .opt_ts(a.actual_end)
                .opt_int(a.actual_start.zip(a.actual_end).map(|(s, e)| (e - s) / 60));
            if travels {
                out.decimal(a.distance, 2).int(a.travel_minutes);
            } else {
                out.null().null();
            }
            out.opt_int(a.rating).ts(b.assigned_at.expect("assigned")).ts(updated);
            out.end();
        }
    }
}

fn assignment_timeline(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        let vendor = w.vendor_owner(b).id;
        for ai in b.assignments.clone() {
            let a = &w.assignments[ai];
            let therapist = w.user_id(w.therapists[a.therapist].user);
            let mut steps = vec![("assigned", b.assigned_at.expect("assigned"), vendor)];
            let therapist_steps = [
                ("acknowledged", a.acknowledged_at),
                ("in_transit", a.transit_at),
                ("reached", a.reached_at),
                ("in_progress", a.actual_start),
                ("completed", a.actual_end),
            ];
            for (status, at) in therapist_steps {
                if let Some(at) = at {
                    steps.push((status, at, therapist));
                }
            }
            if b.fate == Fate::NoShow {
                steps.push(("cancelled", b.cancelled_at.expect("cancelled"), vendor));
            }
            for (k, (status, at, actor)) in steps.into_iter().enumerate() {
                out.uuid(w.ids.get(Kind::Timeline, (ai * 8 + k) as u64))
                    .uuid(a.id)
                    .str("status_change")
                    .str(status)
                    .uuid(actor)
                    .str("partner")
                    .ts(at)
                    .ts(at);
                out.end();
            }
        }
    }
}

fn reviews(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for b in &w.bookings[range] {
        let Some(r) = &b.review else { continue };
        let first_item = &w.items[b.items.start];
        let therapist = w
            .assignments
            .get(b.assignments.start)
            .filter(|_| !b.assignments.is_empty())
            .map(|a| w.therapists[a.therapist].id);
        let responded = r.vendor_response;
        out.uuid(r.id)
            .uuid(b.id)
            .uuid(w.customer_user(b).id)
            .uuid(w.vendor_owner(b).id)
            .opt_uuid(therapist)
            .uuid(w.reference.services[first_item.service].id)
            .int(r.overall)
            .int(r.details[0])
            .int(r.details[1])
            .int(r.details[2])
            .int(r.details[3])
            .str(r.title)
            .str(r.text)
            .bool(r.recommend)
            .str(r.status)
            .opt_ts(r.moderated_at)
            .opt_str((r.status == "rejected").then_some("Mentions the therapist's personal phone number"))
            .opt_str(responded.map(|_| "Thank you for visiting us! We look forward to seeing you again."))
            .opt_ts(responded)
            .int(r.helpful)
            .ts(r.at)
            .ts(responded.or(r.moderated_at).unwrap_or(r.at));
        out.end();
    }
}

fn service_reviews(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let b = &w.bookings[i];
        let Some(r) = &b.review else { continue };
        for (k, item_index) in b.items.clone().enumerate() {
            let item = &w.items[item_index];
            out.uuid(w.ids.get(Kind::ServiceReview, (i * 4 + k) as u64))
                .uuid(r.id)
                .uuid(w.reference.services[item.service].id)
                .uuid(item.id)
                .int(r.details[k % 4])
                .ts(r.at)
                .ts(r.at);
            out.end();
        }
    }
}

fn loyalty_points_transactions(w: &World, range: Range<usize>, out: &mut RowBuf) {
    for i in range {
        let e = &w.loyalty[i];
        let b = &w.bookings[e.booking];
        out.uuid(w.ids.get(Kind::Loyalty, i as u64))
            .uuid(w.user_id(w.customers[e.customer].user))
            .str("earn")
            .int(e.points)
            .int(e.balance_after)
            .uuid(b.id)
            .str(&format!("Earned on booking {}", b.number))
            .ts(e.at + 365 * DAY)
            .ts(e.at);
        out.end();
    }
}

/// GPS fixes per trail on the road and at the customer's place. Fixed counts (the interval
/// stretches with the trip) keep the table's row count independent of distances.
pub const TRAVEL_FIXES: i64 = 40;
pub const ON_SITE_FIXES: i64 = 12;

fn therapist_locations(w: &World, range: Range<usize>, out: &mut RowBuf) {
    let now = w.now();
    for ti in range {
        let (bi, ai) = w.trails[ti];
        let b = &w.bookings[bi];
        let a = &w.assignments[ai];
        let t = &w.therapists[a.therapist];
        let mut rng = w.ids.detail_rng(Kind::Location, ti as u64);
        let (transit, reached) = (a.transit_at.expect("on the way"), a.reached_at.expect("on the way"));
        let stop = a.actual_end.or(b.cancelled_at).unwrap_or(now).min(now);
        let km = super::generate::distance_km(t.home_lat, t.home_lon, b.lat, b.lon);
        let hours = (reached - transit) as f64 / 3_600.0;
        let heading = {
            let dy = b.lat - t.home_lat;
            let dx = (b.lon - t.home_lon) * b.lat.to_radians().cos();
            (90.0 - dy.atan2(dx).to_degrees()).rem_euclid(360.0)
        };
        let mut battery = rng.random_range(55..100);
        let mut k = 0u64;
        let mut fix = |out: &mut RowBuf, at: i64, lat: f64, lon: f64, speed: f64, moving: bool, battery: i64| {
            out.uuid(w.ids.get(Kind::Location, ti as u64 * 64 + k))
                .uuid(t.id)
                .uuid(a.id)
                .coord(lat)
                .coord(lon)
                .decimal(rng.random_range(400..2_500), 2)
                .decimal((speed * 100.0) as i64, 2);
            if moving {
                out.decimal((heading * 100.0) as i64 % 36_000, 2);
            } else {
                out.null();
            }
            out.int(battery).bool(moving).ts(at).ts(at + 2);
            out.end();
            k += 1;
        };
        for j in 0..TRAVEL_FIXES {
            let f = j as f64 / TRAVEL_FIXES as f64;
            let at = transit + (reached - transit) * j / TRAVEL_FIXES;
            let lat = t.home_lat + (b.lat - t.home_lat) * f;
            let lon = t.home_lon + (b.lon - t.home_lon) * f;
            let speed = if hours > 0.0 { km / hours } else { 0.0 };
            if j % 8 == 7 {
                battery -= 1;
            }
            fix(out, at, lat, lon, speed, true, battery);
        }
        for j in 0..ON_SITE_FIXES {
            let at = reached + (stop - reached).max(0) * j / ON_SITE_FIXES;
            fix(out, at, b.lat, b.lon, 0.0, false, battery - j / 4);
        }
    }
}

fn analytics_events(w: &World, range: Range<usize>, out: &mut RowBuf) {
    let now = w.now();
    let n_customers = w.customers.len();
    for i in range {
        if i < n_customers {
            customer_events(w, i, now, out);
        } else {
            booking_events(w, i - n_customers, out);
        }
    }
}

fn device(platform: &str) -> Value {
    match platform {
        "android" => json!({ "platform": "android", "os": "Android 14", "app_version": "2.3.0" }),
        "ios" => json!({ "platform": "ios", "os": "iOS 18", "app_version": "2.3.0" }),
        _ => json!({ "platform": "web", "browser": "Chrome", "app_version": "2.3.0" }),
    }
}

#[allow(clippy::too_many_arguments)]
fn event(
    out: &mut RowBuf,
    id: Uuid,
    user: Uuid,
    session: &str,
    name: &str,
    category: &str,
    props: Value,
    device: &Value,
    location: &Value,
    at: i64,
) {
    out.uuid(id)
        .uuid(user)
        .str(session)
        .str(name)
        .str(category)
        .json(&props)
        .json(device)
        .json(location)
        .ts(at)
        .ts(at + 1);
    out.end();
}

fn customer_events(w: &World, ci: usize, now: i64, out: &mut RowBuf) {
    let c = &w.customers[ci];
    let u = &w.users[c.user];
    let city = &w.reference.cities[c.city];
    let location = json!({ "city": city.name, "state": city.state, "country": "IN" });
    let device = device(c.platform);
    let base = (1u64 << 40) + ci as u64 * 8;
    let mut rng = w.ids.detail_rng(Kind::Event, base);
    let session = format!("s-{}", &u.id.simple().to_string()[..12]);
    event(
        out,
        w.ids.get(Kind::Event, base),
        u.id,
        &session,
        "sign_up",
        "auth",
        json!({ "method": "otp", "referral_code": c.referred_by.map(|r| w.customers[r].referral_code.clone()) }),
        &device,
        &location,
        u.created,
    );
    for k in 1..=c.app_opens as u64 {
        let at = rng.random_range(u.created..now);
        event(
            out,
            w.ids.get(Kind::Event, base + k),
            u.id,
            &format!("s-{}", &w.ids.get(Kind::Event, base + k).simple().to_string()[..12]),
            "app_open",
            "engagement",
            json!({ "screen": "home" }),
            &device,
            &location,
            at,
        );
    }
}

fn booking_events(w: &World, bi: usize, out: &mut RowBuf) {
    let b = &w.bookings[bi];
    let c = &w.customers[b.customer];
    let user = w.users[c.user].id;
    let city = &w.reference.cities[w.vendors[b.vendor].city];
    let location = json!({ "city": city.name, "state": city.state, "country": "IN" });
    let platform = if b.source == "web" { "web" } else { c.platform };
    let device = device(platform);
    let session = format!("s-{}", &b.id.simple().to_string()[..12]);
    let base = bi as u64 * 8;
    let mut rng = w.ids.detail_rng(Kind::Event, base);
    let services: Vec<&str> = w.items[b.items.clone()]
        .iter()
        .map(|i| w.reference.services[i.service].code.as_str())
        .collect();
    let vendor_id = w.vendor_owner(b).id;
    let mut events: Vec<(&str, &str, Value, i64)> = vec![
        (
            "search",
            "discovery",
            json!({ "query": b.search_term, "city": city.name, "results": rng.random_range(5..60) }),
            b.created - rng.random_range(300..1_800),
        ),
        (
            "vendor_viewed",
            "discovery",
            json!({ "vendor_id": vendor_id, "position": rng.random_range(1..10) }),
            b.created - rng.random_range(60..240),
        ),
        (
            "booking_created",
            "booking",
            json!({ "booking_id": b.id, "booking_number": b.number, "amount": b.total, "services": services, "booking_type": b.kind.as_str() }),
            b.created,
        ),
    ];
    if let Some(p) = &b.payment {
        events.push((
            "payment_succeeded",
            "payment",
            json!({ "booking_id": b.id, "amount": b.total, "method": p.method }),
            p.paid_at.expect("paid"),
        ));
    } else if let Some(p) = &b.failed_payment {
        events.push((
            "payment_failed",
            "payment",
            json!({ "booking_id": b.id, "amount": b.total, "method": p.method, "reason": p.failure }),
            p.created + 90,
        ));
    }
    if let Some(at) = b.completed_at {
        events.push(("booking_completed", "booking", json!({ "booking_id": b.id }), at));
    } else if let Some(at) = b.cancelled_at {
        let reason = cancellation(w, b).map(|c| c.0);
        events.push((
            "booking_cancelled",
            "booking",
            json!({ "booking_id": b.id, "reason": reason }),
            at,
        ));
    }
    for (k, (name, category, props, at)) in events.into_iter().enumerate() {
        event(
            out,
            w.ids.get(Kind::Event, base + k as u64),
            user,
            &session,
            name,
            category,
            props,
            &device,
            &location,
            at,
        );
    }
}
