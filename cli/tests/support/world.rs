//! A small marketplace for booking tests: one verified spa in Bengaluru open 09:00-21:00
//! every day, offering Swedish (SWD) and deep tissue (DPT) at the spa and at home, two
//! therapists working 09:00-21:00 (Asha, female, 4.8; Ravi, male, 4.2), and customers with a
//! saved home address 2 km away. Everything is written as the superuser, as an admin panel
//! or a seed would.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::TestApp;

/// India Standard Time.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).unwrap()
}

/// `days` days from today at `hh:mm` IST, as RFC 3339 with the +05:30 offset.
pub fn ist_at(days: i64, hh: u32, mm: u32) -> String {
    instant(days, hh, mm).to_rfc3339()
}

pub fn instant(days: i64, hh: u32, mm: u32) -> DateTime<FixedOffset> {
    let date = Utc::now().with_timezone(&ist()).date_naive() + Duration::days(days);
    ist()
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).unwrap()))
        .unwrap()
}

pub struct World {
    pub vendor: Uuid,
    pub asha: Uuid,
    pub asha_user: Uuid,
    pub ravi: Uuid,
    pub ravi_user: Uuid,
    pub customer: Uuid,
    pub address: Uuid,
    pub other_customer: Uuid,
    pub other_address: Uuid,
    pub swd: Uuid,
    pub dpt: Uuid,
    /// A second, unrelated vendor with its own therapist.
    pub rival_vendor: Uuid,
    /// A marketing employee, who creates promotions.
    pub marketer: Uuid,
}

async fn user(app: &TestApp, name: &str, role: &str) -> Uuid {
    let id = Uuid::new_v4();
    let client = app.db.client().await;
    client
        .batch_execute(&format!(
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
             values ('{id}', 'authenticated', 'authenticated', '{name}.{id}@example.in', now(), '{{}}', '{{}}', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
             values ('{id}', '{name}', '9' || lpad((abs(hashtext('{id}')) % 1000000000)::text, 9, '0'), '{role}');"
        ))
        .await
        .expect("creating a user");
    id
}

pub async fn customer(app: &TestApp, name: &str) -> (Uuid, Uuid) {
    let id = user(app, name, "customer").await;
    let address = Uuid::new_v4();
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into public.customers (id) values ('{id}');
             insert into public.customer_addresses (id, customer_id, address_type, label, address_line1, city, state, pincode,
                                                    latitude, longitude, is_default)
             values ('{address}', '{id}', 'home', 'Home', '12 Residency Road', 'Bengaluru', 'Karnataka', '560025',
                     12.9716, 77.5946 + 0.018, true);"
        ))
        .await
        .expect("creating a customer");
    (id, address)
}

async fn vendor(app: &TestApp, name: &str) -> Uuid {
    let id = user(app, name, "vendor").await;
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into public.vendors (id, business_name, business_type, business_address, city_id, location, timezone,
                                         contact_person, contact_mobile, contact_email, verification_status, status,
                                         min_notice_minutes, booking_horizon_days, travel_buffer_minutes, service_radius_km,
                                         free_cancellation_hours, cancellation_fee_percentage, reschedule_cutoff_hours,
                                         max_reschedules)
             values ('{id}', 'Spa {name}', 'spa', '{{\"line1\": \"MG Road\", \"city\": \"Bengaluru\"}}',
                     (select id from public.cities where name = 'Bengaluru'),
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography,
                     'Asia/Kolkata', 'Owner', '9800000000', '{name}@example.in', 'verified', 'active',
                     60, 30, 30, 10, 24, 25, 4, 2);
             insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
             select '{id}', d, '09:00', '21:00' from generate_series(0, 6) d;
             insert into public.vendor_services (vendor_id, service_id, durations_offered, is_home_service, is_in_spa)
             select '{id}', s.id, '{{60,90,120}}', true, true from public.services s where s.code in ('SWD', 'DPT');"
        ))
        .await
        .expect("creating a vendor");
    id
}

pub async fn therapist(app: &TestApp, vendor: Uuid, name: &str, gender: &str, rating: &str) -> (Uuid, Uuid) {
    let user_id = user(app, name, "therapist").await;
    let id = Uuid::new_v4();
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into public.therapists (id, user_id, vendor_id, name, email, mobile, gender, specialization, rating,
                                            status, home_location)
             values ('{id}', '{user_id}', '{vendor}', '{name}', '{name}.{id}@example.in', '9700000000', '{gender}',
                     '{{SWD,DPT}}', {rating}, 'active',
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography);
             insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
             select '{id}', d, '09:00', '21:00' from generate_series(0, 6) d;"
        ))
        .await
        .expect("creating a therapist");
    (id, user_id)
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let vendor_id = vendor(app, "serene").await;
        let (asha, asha_user) = therapist(app, vendor_id, "asha", "female", "4.8").await;
        let (ravi, ravi_user) = therapist(app, vendor_id, "ravi", "male", "4.2").await;
        let (customer_id, address) = customer(app, "meera").await;
        let (other_customer, other_address) = customer(app, "kabir").await;
        let rival_vendor = vendor(app, "rival").await;
        therapist(app, rival_vendor, "neha", "female", "4.5").await;
        let marketer = user(app, "priya", "employee").await;
        let client = app.db.client().await;
        client
            .batch_execute(&format!(
                "insert into public.employees (id, employee_code, name, email, mobile, department, designation, joining_date)
                 values ('{marketer}', 'EMP-{}', 'Priya', 'priya.{marketer}@ombaro.in', '9600000000', 'marketing',
                         'Campaign manager', current_date - 100)",
                &marketer.simple().to_string()[..8]
            ))
            .await
            .expect("creating an employee");
        let code = |c: &'static str| {
            let client = &client;
            async move {
                client
                    .query_one("select id from public.services where code = $1", &[&c])
                    .await
                    .unwrap()
                    .get::<_, Uuid>(0)
            }
        };
        World {
            vendor: vendor_id,
            asha,
            asha_user,
            ravi,
            ravi_user,
            customer: customer_id,
            address,
            other_customer,
            other_address,
            swd: code("SWD").await,
            dpt: code("DPT").await,
            rival_vendor,
            marketer,
        }
    }

    /// A one-item spa booking request for Swedish, 60 minutes.
    pub fn request(&self, start: &str) -> Value {
        serde_json::json!({
            "vendor_id": self.vendor,
            "start": start,
            "items": [{ "service_id": self.swd, "duration_minutes": 60 }],
        })
    }

    /// A confirmed home visit of the customer (Meera) with Asha at `start`, Asha on her way:
    /// its assignment, `in_transit`.
    pub async fn home_visit_on_the_way(&self, app: &TestApp, start: &str) -> Uuid {
        use serde_json::json;
        let mut body = self.request(start);
        body["booking_type"] = json!("home_service");
        body["address_id"] = json!(self.address);
        body["therapist_id"] = json!(self.asha);
        let (status, booking) = app
            .post_json("/bookings", &app.user_token(self.customer).await, &body)
            .await;
        assert_eq!(status, 201, "{booking}");
        let id = booking["id"].as_str().unwrap();
        let assignment: Uuid = booking["assignments"][0]["id"].as_str().unwrap().parse().unwrap();
        let (status, b) = app
            .post_json(
                &format!("/bookings/{id}/status"),
                &app.user_token(self.vendor).await,
                &json!({"status": "confirmed"}),
            )
            .await;
        assert_eq!(status, 200, "{b}");
        for step in ["acknowledged", "in_transit"] {
            let (status, a) = app
                .post_json(
                    &format!("/assignments/{assignment}/status"),
                    &app.user_token(self.asha_user).await,
                    &json!({ "status": step }),
                )
                .await;
            assert_eq!(status, 200, "{step}: {a}");
        }
        assignment
    }
}

impl TestApp {
    /// An access token for `user` with the role Auth's custom access token hook would name
    /// (authenticated, partner or staff: V24).
    pub async fn user_token(&self, user: Uuid) -> String {
        let role: String = self
            .db
            .client()
            .await
            .query_one("select private.audience_of($1)", &[&user])
            .await
            .expect("the audience of a test user")
            .get(0);
        self.keys
            .user_token(&user.to_string(), None, 3600, serde_json::json!({ "role": role }))
    }

    pub fn service_key(&self) -> String {
        self.keys.api_key("service_role")
    }

    /// `POST` JSON to a booking-service path; returns the status and the JSON body.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("/functions/v1/booking-service{path}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(self.url(&format!("/functions/v1/booking-service{path}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// One number from SQL run as the superuser.
    pub async fn count(&self, sql: &str) -> i64 {
        self.db.client().await.query_one(sql, &[]).await.unwrap().get(0)
    }
}

/// Days from today to the first Monday-to-Friday at least `min` days ahead: weekday prices
/// without the weekend uplift, whatever day the tests run.
pub fn weekday_ahead(min: i64) -> i64 {
    use chrono::Datelike;
    let today = Utc::now().with_timezone(&ist()).date_naive();
    (min..min + 7)
        .find(|d| (today + Duration::days(*d)).weekday().num_days_from_monday() < 5)
        .unwrap()
}
