-- Reference geography: India, its 28 states and 8 union territories (ISO 3166-2:IN codes
-- and GST state codes), the major cities with their pricing tier, operational zones of
-- the launch metros (Mumbai, Bengaluru, Delhi), and sample PIN codes of the launch cities.
--
-- Idempotent: every insert skips rows whose natural key already exists, and rows are
-- linked through natural keys (state code, city name, zone code), never through ids.
-- Zone boundaries are simplified outlines; each PIN code is linked to the zone that
-- covers its centroid, so the link and the geometry cannot disagree.

-- countries ------------------------------------------------------------------------------

insert into public.countries (code, iso3_code, name, dial_code, currency_code)
values ('IN', 'IND', 'India', '+91', 'INR')
on conflict (code) do nothing;

-- states and union territories -----------------------------------------------------------

-- ISO 3166-2:IN as amended in 2023 (IN-CG, IN-OD, IN-TS, IN-UK replaced IN-CT, IN-OR,
-- IN-TG, IN-UT).
insert into public.states (country_id, code, name, state_type, gst_state_code)
select c.id, v.code, v.name, v.state_type, v.gst
  from (values
    ('IN-AP', 'Andhra Pradesh', 'state', '37'),
    ('IN-AR', 'Arunachal Pradesh', 'state', '12'),
    ('IN-AS', 'Assam', 'state', '18'),
    ('IN-BR', 'Bihar', 'state', '10'),
    ('IN-CG', 'Chhattisgarh', 'state', '22'),
    ('IN-GA', 'Goa', 'state', '30'),
    ('IN-GJ', 'Gujarat', 'state', '24'),
    ('IN-HR', 'Haryana', 'state', '06'),
    ('IN-HP', 'Himachal Pradesh', 'state', '02'),
    ('IN-JH', 'Jharkhand', 'state', '20'),
    ('IN-KA', 'Karnataka', 'state', '29'),
    ('IN-KL', 'Kerala', 'state', '32'),
    ('IN-MP', 'Madhya Pradesh', 'state', '23'),
    ('IN-MH', 'Maharashtra', 'state', '27'),
    ('IN-MN', 'Manipur', 'state', '14'),
    ('IN-ML', 'Meghalaya', 'state', '17'),
    ('IN-MZ', 'Mizoram', 'state', '15'),
    ('IN-NL', 'Nagaland', 'state', '13'),
    ('IN-OD', 'Odisha', 'state', '21'),
    ('IN-PB', 'Punjab', 'state', '03'),
    ('IN-RJ', 'Rajasthan', 'state', '08'),
    ('IN-SK', 'Sikkim', 'state', '11'),
    ('IN-TN', 'Tamil Nadu', 'state', '33'),
    ('IN-TS', 'Telangana', 'state', '36'),
    ('IN-TR', 'Tripura', 'state', '16'),
    ('IN-UP', 'Uttar Pradesh', 'state', '09'),
    ('IN-UK', 'Uttarakhand', 'state', '05'),
    ('IN-WB', 'West Bengal', 'state', '19'),
    ('IN-AN', 'Andaman and Nicobar Islands', 'union_territory', '35'),
    ('IN-CH', 'Chandigarh', 'union_territory', '04'),
    ('IN-DH', 'Dadra and Nagar Haveli and Daman and Diu', 'union_territory', '26'),
    ('IN-DL', 'Delhi', 'union_territory', '07'),
    ('IN-JK', 'Jammu and Kashmir', 'union_territory', '01'),
    ('IN-LA', 'Ladakh', 'union_territory', '38'),
    ('IN-LD', 'Lakshadweep', 'union_territory', '31'),
    ('IN-PY', 'Puducherry', 'union_territory', '34')
  ) as v (code, name, state_type, gst)
  join public.countries c on c.code = 'IN'
on conflict (code) do nothing;

-- cities ---------------------------------------------------------------------------------

-- Tier 1 are the eight metros (HRA class X); tier 2 large cities; tier 3 the rest.
-- Launch cities are serviceable; the others are listed for addresses and vendor sign-up.
insert into public.cities (state_id, name, tier, location, is_serviceable)
select s.id, v.name, v.tier,
       extensions.st_setsrid(extensions.st_makepoint(v.lon, v.lat), 4326)::extensions.geography,
       v.serviceable
  from (values
    ('IN-MH', 'Mumbai', 1, 19.0760, 72.8777, true),
    ('IN-DL', 'Delhi', 1, 28.6139, 77.2090, true),
    ('IN-KA', 'Bengaluru', 1, 12.9716, 77.5946, true),
    ('IN-TS', 'Hyderabad', 1, 17.3850, 78.4867, true),
    ('IN-TN', 'Chennai', 1, 13.0827, 80.2707, true),
    ('IN-WB', 'Kolkata', 1, 22.5726, 88.3639, true),
    ('IN-MH', 'Pune', 1, 18.5204, 73.8567, true),
    ('IN-GJ', 'Ahmedabad', 1, 23.0225, 72.5714, true),
    ('IN-MH', 'Thane', 2, 19.2183, 72.9781, true),
    ('IN-MH', 'Navi Mumbai', 2, 19.0330, 73.0297, true),
    ('IN-HR', 'Gurugram', 2, 28.4595, 77.0266, true),
    ('IN-UP', 'Noida', 2, 28.5355, 77.3910, true),
    ('IN-UP', 'Ghaziabad', 2, 28.6692, 77.4538, false),
    ('IN-HR', 'Faridabad', 2, 28.4089, 77.3178, false),
    ('IN-RJ', 'Jaipur', 2, 26.9124, 75.7873, false),
    ('IN-UP', 'Lucknow', 2, 26.8467, 80.9462, false),
    ('IN-UP', 'Kanpur', 2, 26.4499, 80.3319, false),
    ('IN-MH', 'Nagpur', 2, 21.1458, 79.0882, false),
    ('IN-MH', 'Nashik', 2, 19.9975, 73.7898, false),
    ('IN-MP', 'Indore', 2, 22.7196, 75.8577, false),
    ('IN-MP', 'Bhopal', 2, 23.2599, 77.4126, false),
    ('IN-GJ', 'Surat', 2, 21.1702, 72.8311, false),
    ('IN-GJ', 'Vadodara', 2, 22.3072, 73.1812, false),
    ('IN-GJ', 'Rajkot', 2, 22.3039, 70.8022, false),
    ('IN-CH', 'Chandigarh', 2, 30.7333, 76.7794, false),
    ('IN-KL', 'Kochi', 2, 9.9312, 76.2673, false),
    ('IN-KL', 'Thiruvananthapuram', 2, 8.5241, 76.9366, false),
    ('IN-TN', 'Coimbatore', 2, 11.0168, 76.9558, false),
    ('IN-TN', 'Madurai', 2, 9.9252, 78.1198, false),
    ('IN-AP', 'Visakhapatnam', 2, 17.6868, 83.2185, false),
    ('IN-AP', 'Vijayawada', 2, 16.5062, 80.6480, false),
    ('IN-KA', 'Mysuru', 2, 12.2958, 76.6394, false),
    ('IN-KA', 'Mangaluru', 2, 12.9141, 74.8560, false),
    ('IN-BR', 'Patna', 2, 25.5941, 85.1376, false),
    ('IN-OD', 'Bhubaneswar', 2, 20.2961, 85.8245, false),
    ('IN-AS', 'Guwahati', 2, 26.1445, 91.7362, false),
    ('IN-UK', 'Dehradun', 2, 30.3165, 78.0322, false),
    ('IN-PB', 'Ludhiana', 2, 30.9010, 75.8573, false),
    ('IN-PB', 'Amritsar', 2, 31.6340, 74.8723, false),
    ('IN-UP', 'Agra', 2, 27.1767, 78.0081, false),
    ('IN-UP', 'Varanasi', 2, 25.3176, 82.9739, false),
    ('IN-CG', 'Raipur', 2, 21.2514, 81.6296, false),
    ('IN-JH', 'Ranchi', 2, 23.3441, 85.3096, false),
    ('IN-RJ', 'Jodhpur', 2, 26.2389, 73.0243, false),
    ('IN-RJ', 'Udaipur', 3, 24.5854, 73.7125, false),
    ('IN-GA', 'Panaji', 3, 15.4909, 73.8278, false),
    ('IN-HP', 'Shimla', 3, 31.1048, 77.1734, false),
    ('IN-UK', 'Rishikesh', 3, 30.0869, 78.2676, false),
    ('IN-PY', 'Puducherry', 3, 11.9416, 79.8083, false),
    ('IN-SK', 'Gangtok', 3, 27.3389, 88.6065, false),
    ('IN-JK', 'Srinagar', 3, 34.0837, 74.7973, false),
    ('IN-JK', 'Jammu', 3, 32.7266, 74.8570, false),
    ('IN-LA', 'Leh', 3, 34.1526, 77.5771, false),
    ('IN-ML', 'Shillong', 3, 25.5788, 91.8933, false),
    ('IN-AN', 'Port Blair', 3, 11.6234, 92.7265, false),
    ('IN-MN', 'Imphal', 3, 24.8170, 93.9368, false),
    ('IN-TR', 'Agartala', 3, 23.8315, 91.2868, false),
    ('IN-MZ', 'Aizawl', 3, 23.7271, 92.7176, false),
    ('IN-NL', 'Kohima', 3, 25.6751, 94.1086, false),
    ('IN-AR', 'Itanagar', 3, 27.0844, 93.6053, false),
    ('IN-DH', 'Silvassa', 3, 20.2766, 73.0169, false),
    ('IN-LD', 'Kavaratti', 3, 10.5669, 72.6420, false)
  ) as v (state_code, name, tier, lat, lon, serviceable)
  join public.states s on s.code = v.state_code
on conflict (state_id, name) do nothing;

-- zones ----------------------------------------------------------------------------------

-- Simplified outlines (longitude latitude, WGS 84) that tile each metro without overlap:
-- neighbouring zones share every vertex of their common edges.
insert into public.zones (city_id, code, name, boundary)
select c.id, v.code, v.name, extensions.st_geogfromtext(v.wkt)
  from (values
    ('IN-MH', 'Mumbai', 'MUM-SOUTH', 'South Mumbai',
     'MULTIPOLYGON(((72.790 18.880,72.880 18.880,72.880 19.000,72.875 19.000,72.800 19.000,72.790 18.950,72.790 18.880)))'),
    ('IN-MH', 'Mumbai', 'MUM-CENTRAL', 'Central Mumbai',
     'MULTIPOLYGON(((72.800 19.000,72.875 19.000,72.875 19.030,72.875 19.050,72.810 19.050,72.800 19.000)))'),
    ('IN-MH', 'Mumbai', 'MUM-WEST', 'Western Suburbs',
     'MULTIPOLYGON(((72.780 19.050,72.810 19.050,72.875 19.050,72.875 19.200,72.875 19.270,72.790 19.270,72.780 19.150,72.780 19.050)))'),
    ('IN-MH', 'Mumbai', 'MUM-EAST', 'Eastern Suburbs',
     'MULTIPOLYGON(((72.875 19.030,72.960 19.030,72.980 19.120,72.980 19.200,72.875 19.200,72.875 19.050,72.875 19.030)))'),
    ('IN-KA', 'Bengaluru', 'BLR-CENTRAL', 'Central Bengaluru',
     'MULTIPOLYGON(((77.550 12.940,77.630 12.940,77.630 13.010,77.550 13.010,77.550 12.940)))'),
    ('IN-KA', 'Bengaluru', 'BLR-EAST', 'East Bengaluru',
     'MULTIPOLYGON(((77.630 12.940,77.720 12.940,77.800 12.940,77.800 13.050,77.630 13.050,77.630 13.010,77.630 12.940)))'),
    ('IN-KA', 'Bengaluru', 'BLR-SOUTH', 'South Bengaluru',
     'MULTIPOLYGON(((77.500 12.800,77.720 12.800,77.720 12.940,77.630 12.940,77.550 12.940,77.500 12.940,77.500 12.800)))'),
    ('IN-KA', 'Bengaluru', 'BLR-NORTH', 'North Bengaluru',
     'MULTIPOLYGON(((77.520 13.010,77.550 13.010,77.630 13.010,77.630 13.050,77.630 13.150,77.520 13.150,77.520 13.010)))'),
    ('IN-KA', 'Bengaluru', 'BLR-WEST', 'West Bengaluru',
     'MULTIPOLYGON(((77.450 12.940,77.500 12.940,77.550 12.940,77.550 13.010,77.520 13.010,77.450 13.010,77.450 12.940)))'),
    ('IN-DL', 'Delhi', 'DEL-CENTRAL', 'Central Delhi',
     'MULTIPOLYGON(((77.140 28.600,77.250 28.600,77.250 28.680,77.140 28.680,77.140 28.600)))'),
    ('IN-DL', 'Delhi', 'DEL-SOUTH', 'South Delhi',
     'MULTIPOLYGON(((77.140 28.480,77.250 28.480,77.250 28.580,77.250 28.600,77.140 28.600,77.140 28.560,77.140 28.480)))'),
    ('IN-DL', 'Delhi', 'DEL-WEST', 'West Delhi',
     'MULTIPOLYGON(((77.000 28.560,77.140 28.560,77.140 28.600,77.140 28.680,77.050 28.680,77.000 28.680,77.000 28.560)))'),
    ('IN-DL', 'Delhi', 'DEL-NORTH', 'North Delhi',
     'MULTIPOLYGON(((77.050 28.680,77.140 28.680,77.250 28.680,77.250 28.700,77.250 28.800,77.050 28.800,77.050 28.680)))'),
    ('IN-DL', 'Delhi', 'DEL-EAST', 'East Delhi',
     'MULTIPOLYGON(((77.250 28.580,77.340 28.580,77.340 28.700,77.250 28.700,77.250 28.680,77.250 28.600,77.250 28.580)))')
  ) as v (state_code, city, code, name, wkt)
  join public.states s on s.code = v.state_code
  join public.cities c on c.state_id = s.id and c.name = v.city
on conflict (city_id, code) do nothing;

-- pincode_master -------------------------------------------------------------------------

insert into public.pincode_master (pincode, area_name, district, state_id, city_id, zone_id, location, is_serviceable)
select v.pincode, v.area, v.district, s.id, c.id, z.id, p.point, c.is_serviceable
  from (values
    -- Mumbai
    ('400001', 'Fort', 'Mumbai City', 'IN-MH', 'Mumbai', 18.9388, 72.8354),
    ('400005', 'Colaba', 'Mumbai City', 'IN-MH', 'Mumbai', 18.9067, 72.8147),
    ('400006', 'Malabar Hill', 'Mumbai City', 'IN-MH', 'Mumbai', 18.9548, 72.8028),
    ('400020', 'Churchgate', 'Mumbai City', 'IN-MH', 'Mumbai', 18.9322, 72.8264),
    ('400013', 'Lower Parel', 'Mumbai City', 'IN-MH', 'Mumbai', 18.9966, 72.8302),
    ('400018', 'Worli', 'Mumbai City', 'IN-MH', 'Mumbai', 19.0096, 72.8173),
    ('400028', 'Dadar West', 'Mumbai City', 'IN-MH', 'Mumbai', 19.0194, 72.8423),
    ('400019', 'Matunga', 'Mumbai City', 'IN-MH', 'Mumbai', 19.0272, 72.8553),
    ('400022', 'Sion', 'Mumbai City', 'IN-MH', 'Mumbai', 19.0390, 72.8619),
    ('400016', 'Mahim', 'Mumbai City', 'IN-MH', 'Mumbai', 19.0407, 72.8402),
    ('400050', 'Bandra West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0596, 72.8295),
    ('400052', 'Khar West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0718, 72.8366),
    ('400054', 'Santacruz West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0813, 72.8410),
    ('400049', 'Juhu', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1075, 72.8263),
    ('400058', 'Andheri West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1364, 72.8296),
    ('400069', 'Andheri East', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1136, 72.8697),
    ('400063', 'Goregaon East', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1645, 72.8493),
    ('400064', 'Malad West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1871, 72.8486),
    ('400092', 'Borivali West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.2307, 72.8567),
    ('400070', 'Kurla West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0726, 72.8845),
    ('400071', 'Chembur', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0622, 72.9005),
    ('400077', 'Ghatkopar East', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.0860, 72.9090),
    ('400076', 'Powai', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1176, 72.9060),
    ('400079', 'Vikhroli', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1110, 72.9280),
    ('400080', 'Mulund West', 'Mumbai Suburban', 'IN-MH', 'Mumbai', 19.1726, 72.9565),
    -- Bengaluru
    ('560001', 'MG Road', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9756, 77.6050),
    ('560025', 'Richmond Town', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9630, 77.6000),
    ('560003', 'Malleshwaram', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 13.0035, 77.5710),
    ('560010', 'Rajajinagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9910, 77.5525),
    ('560038', 'Indiranagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9784, 77.6408),
    ('560037', 'Marathahalli', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9569, 77.7011),
    ('560066', 'Whitefield', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9698, 77.7500),
    ('560034', 'Koramangala', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9352, 77.6245),
    ('560102', 'HSR Layout', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9116, 77.6474),
    ('560011', 'Jayanagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9250, 77.5938),
    ('560078', 'JP Nagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9063, 77.5857),
    ('560076', 'BTM Layout', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9166, 77.6101),
    ('560070', 'Banashankari', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9255, 77.5468),
    ('560100', 'Electronic City', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.8452, 77.6602),
    ('560024', 'Hebbal', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 13.0358, 77.5970),
    ('560032', 'RT Nagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 13.0213, 77.5946),
    ('560064', 'Yelahanka', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 13.1007, 77.5963),
    ('560040', 'Vijayanagar', 'Bengaluru Urban', 'IN-KA', 'Bengaluru', 12.9719, 77.5350),
    -- Delhi
    ('110001', 'Connaught Place', 'New Delhi', 'IN-DL', 'Delhi', 28.6315, 77.2167),
    ('110005', 'Karol Bagh', 'Central Delhi', 'IN-DL', 'Delhi', 28.6519, 77.1909),
    ('110055', 'Paharganj', 'Central Delhi', 'IN-DL', 'Delhi', 28.6448, 77.2139),
    ('110016', 'Hauz Khas', 'South Delhi', 'IN-DL', 'Delhi', 28.5494, 77.2001),
    ('110017', 'Saket', 'South Delhi', 'IN-DL', 'Delhi', 28.5245, 77.2066),
    ('110048', 'Greater Kailash', 'South Delhi', 'IN-DL', 'Delhi', 28.5482, 77.2380),
    ('110024', 'Lajpat Nagar', 'South East Delhi', 'IN-DL', 'Delhi', 28.5677, 77.2433),
    ('110070', 'Vasant Kunj', 'South West Delhi', 'IN-DL', 'Delhi', 28.5200, 77.1580),
    ('110027', 'Rajouri Garden', 'West Delhi', 'IN-DL', 'Delhi', 28.6492, 77.1220),
    ('110058', 'Janakpuri', 'West Delhi', 'IN-DL', 'Delhi', 28.6219, 77.0878),
    ('110026', 'Punjabi Bagh', 'West Delhi', 'IN-DL', 'Delhi', 28.6683, 77.1317),
    ('110075', 'Dwarka', 'South West Delhi', 'IN-DL', 'Delhi', 28.5921, 77.0460),
    ('110034', 'Pitampura', 'North West Delhi', 'IN-DL', 'Delhi', 28.6980, 77.1310),
    ('110085', 'Rohini', 'North West Delhi', 'IN-DL', 'Delhi', 28.7383, 77.0822),
    ('110009', 'Model Town', 'North West Delhi', 'IN-DL', 'Delhi', 28.7170, 77.1900),
    ('110054', 'Civil Lines', 'North Delhi', 'IN-DL', 'Delhi', 28.6814, 77.2226),
    ('110092', 'Laxmi Nagar', 'East Delhi', 'IN-DL', 'Delhi', 28.6304, 77.2777),
    ('110091', 'Mayur Vihar', 'East Delhi', 'IN-DL', 'Delhi', 28.6077, 77.2940),
    -- Other launch cities (no zones drawn yet)
    ('500081', 'Madhapur', 'Rangareddy', 'IN-TS', 'Hyderabad', 17.4483, 78.3915),
    ('500034', 'Banjara Hills', 'Hyderabad', 'IN-TS', 'Hyderabad', 17.4156, 78.4347),
    ('500033', 'Jubilee Hills', 'Hyderabad', 'IN-TS', 'Hyderabad', 17.4326, 78.4071),
    ('600017', 'T Nagar', 'Chennai', 'IN-TN', 'Chennai', 13.0418, 80.2341),
    ('600040', 'Anna Nagar', 'Chennai', 'IN-TN', 'Chennai', 13.0850, 80.2101),
    ('600020', 'Adyar', 'Chennai', 'IN-TN', 'Chennai', 13.0012, 80.2565),
    ('411001', 'Pune Camp', 'Pune', 'IN-MH', 'Pune', 18.5158, 73.8774),
    ('411038', 'Kothrud', 'Pune', 'IN-MH', 'Pune', 18.5074, 73.8077),
    ('411057', 'Hinjewadi', 'Pune', 'IN-MH', 'Pune', 18.5913, 73.7389),
    ('411014', 'Viman Nagar', 'Pune', 'IN-MH', 'Pune', 18.5679, 73.9143),
    ('700016', 'Park Street', 'Kolkata', 'IN-WB', 'Kolkata', 22.5530, 88.3520),
    ('700019', 'Ballygunge', 'Kolkata', 'IN-WB', 'Kolkata', 22.5280, 88.3659),
    ('700091', 'Salt Lake Sector V', 'North 24 Parganas', 'IN-WB', 'Kolkata', 22.5867, 88.4171),
    ('380009', 'Navrangpura', 'Ahmedabad', 'IN-GJ', 'Ahmedabad', 23.0365, 72.5611),
    ('380015', 'Satellite', 'Ahmedabad', 'IN-GJ', 'Ahmedabad', 23.0300, 72.5176),
    ('400601', 'Thane West', 'Thane', 'IN-MH', 'Thane', 19.1972, 72.9722),
    ('400703', 'Vashi', 'Thane', 'IN-MH', 'Navi Mumbai', 19.0771, 72.9986),
    ('122002', 'DLF Phase 2', 'Gurugram', 'IN-HR', 'Gurugram', 28.4900, 77.0900),
    ('201301', 'Sector 18', 'Gautam Buddh Nagar', 'IN-UP', 'Noida', 28.5708, 77.3260)
  ) as v (pincode, area, district, state_code, city, lat, lon)
  join public.states s on s.code = v.state_code
  join public.cities c on c.state_id = s.id and c.name = v.city
  cross join lateral (
    select extensions.st_setsrid(extensions.st_makepoint(v.lon, v.lat), 4326)::extensions.geography as point
  ) as p
  left join lateral (
    select zz.id
      from public.zones zz
     where zz.city_id = c.id and extensions.st_covers(zz.boundary, p.point)
     order by zz.code
     limit 1
  ) as z on true
on conflict (pincode) do nothing;
