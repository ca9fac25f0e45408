//! People for the service benches' worlds in scratch databases: customers, and spas open
//! around the clock with therapists who work around the clock, so every start on the grid is
//! bookable. Written as the superuser, as a seed would.

use std::fmt::Write;

use uuid::Uuid;

/// Vendors accept bookings this many days ahead (the schema's maximum).
pub const HORIZON_DAYS: i64 = 365;

pub struct Vendor {
    pub id: Uuid,
    pub therapists: Vec<Uuid>,
}

/// The fixture's SQL, accumulated; `users` numbers the people so mobiles and emails, which
/// are unique, differ.
#[derive(Default)]
pub struct Sql {
    pub text: String,
    users: u32,
}

impl Sql {
    fn user(&mut self, role: &str) -> (Uuid, String) {
        self.users += 1;
        let (id, n) = (Uuid::new_v4(), self.users);
        let email = format!("bench.{role}.{n}@ombaro.test");
        let _ = write!(
            self.text,
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                                     created_at, updated_at)
             values ('{id}', 'authenticated', 'authenticated', '{email}', now(), '{{}}', '{{}}', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
             values ('{id}', 'Bench {role} {n}', '81{n:08}', '{role}');\n"
        );
        (id, email)
    }

    pub fn customer(&mut self) -> Uuid {
        let (id, _) = self.user("customer");
        let _ = writeln!(self.text, "insert into public.customers (id) values ('{id}');");
        id
    }

    /// A spa in Bengaluru open 00:00-24:00 every day, with no minimum notice and the longest
    /// horizon, offering Swedish and deep tissue; its therapists work the same hours.
    pub fn vendor(&mut self, therapists: usize) -> Vendor {
        let (id, email) = self.user("vendor");
        let _ = write!(
            self.text,
            "insert into public.vendors (id, business_name, business_type, business_address, city_id, location, timezone,
                                         contact_person, contact_mobile, contact_email, verification_status, status,
                                         min_notice_minutes, booking_horizon_days, travel_buffer_minutes, service_radius_km,
                                         free_cancellation_hours, cancellation_fee_percentage, reschedule_cutoff_hours,
                                         max_reschedules)
             values ('{id}', 'Bench spa {n}', 'spa', '{{\"line1\": \"MG Road\", \"city\": \"Bengaluru\"}}',
                     (select id from public.cities where name = 'Bengaluru'),
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography,
                     'Asia/Kolkata', 'Owner', '9800000000', '{email}', 'verified', 'active',
                     0, {HORIZON_DAYS}, 30, 10, 24, 25, 4, 2);
             insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
             select '{id}', d, '00:00', '24:00' from generate_series(0, 6) d;
             insert into public.vendor_services (vendor_id, service_id, durations_offered, is_home_service, is_in_spa)
             select '{id}', s.id, '{{60,90,120}}', true, true from public.services s where s.code in ('SWD', 'DPT');\n",
            n = self.users
        );
        let therapists = (0..therapists).map(|_| self.therapist(id)).collect();
        Vendor { id, therapists }
    }

    fn therapist(&mut self, vendor: Uuid) -> Uuid {
        let (user_id, email) = self.user("therapist");
        let id = Uuid::new_v4();
        let _ = write!(
            self.text,
            "insert into public.therapists (id, user_id, vendor_id, name, email, mobile, gender, specialization, rating,
                                            status, home_location)
             values ('{id}', '{user_id}', '{vendor}', 'Bench therapist {n}', '{email}', '9700000000', 'female',
                     '{{SWD,DPT}}', 4.5, 'active',
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography);
             insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
             select '{id}', d, '00:00', '24:00' from generate_series(0, 6) d;\n",
            n = self.users
        );
        id
    }
}
