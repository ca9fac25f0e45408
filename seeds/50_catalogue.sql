-- Catalogue reference data: service categories, the platform service menu of an Indian spa
-- marketplace (international massages and Kerala Ayurveda), duration variants, add-ons,
-- packages, tags and the standard pricing tiers.
--
-- Idempotent: every insert skips rows whose natural key (code, slug, (service, name)) is
-- already there, and rows are found by natural key, never by generated id. Prices are in
-- paise and exclude GST (SAC 999722; the rate in force is the effective-dated gst_rate setting).

-- Categories: the five families of services.category, then sub-categories ----------------

insert into public.service_categories (code, name, description, sort_order)
values
  ('relaxation', 'Relaxation', 'Gentle, flowing massages to unwind and sleep better.', 10),
  ('therapeutic', 'Therapeutic', 'Firmer, targeted work for knots, stiffness and recovery.', 20),
  ('specialty', 'Specialty', 'Signature techniques from Bali, Thailand, Hawaii and body rituals.', 30),
  ('couples', 'Couples', 'Side-by-side treatments for two in the same room.', 40),
  ('wellness', 'Wellness & Ayurveda', 'Kerala Ayurvedic therapies and care for special needs such as pregnancy.', 50)
on conflict (code) do nothing;

insert into public.service_categories (code, name, description, parent_id, sort_order)
select v.code, v.name, v.description, p.id, v.sort_order
  from (values
    ('aromatherapy', 'Aromatherapy', 'Massages built around essential oil blends.', 'relaxation', 11),
    ('head_and_feet', 'Head, Shoulders & Feet', 'Short, focused treatments for busy days.', 'relaxation', 12),
    ('deep_tissue_sports', 'Deep Tissue & Sports', 'Deep, slow pressure for chronic tension and athletes.', 'therapeutic', 21),
    ('reflexology_pressure', 'Reflexology & Pressure Point', 'Pressure on reflex and acupressure points.', 'therapeutic', 22),
    ('asian_traditions', 'Asian & Island Traditions', 'Balinese, Thai and Lomi Lomi techniques.', 'specialty', 31),
    ('hot_therapies', 'Hot Therapies', 'Heated stones and warm herbal compresses.', 'specialty', 32),
    ('body_treatments', 'Body Scrubs & Wraps', 'Exfoliation and wraps for skin and detox.', 'specialty', 33),
    ('couples_rituals', 'Couples Rituals', 'Massages and rituals for two.', 'couples', 41),
    ('ayurveda', 'Kerala Ayurveda', 'Classical Ayurvedic therapies with medicated oils.', 'wellness', 51),
    ('prenatal_care', 'Prenatal & Postnatal', 'Safe, supported treatments for mothers.', 'wellness', 52)
  ) as v (code, name, description, parent_code, sort_order)
  join public.service_categories p on p.code = v.parent_code
on conflict (code) do nothing;

-- Add-ons (before services, which recommend them by code) --------------------------------

insert into public.addon_services (code, name, description, duration, price, is_home_service_available, sort_order)
values
  ('HOT_TOWEL', 'Hot towel wrap', 'Steamed towels over the back and feet to finish the session.', 0, 19900, true, 10),
  ('AROMA_UPGRADE', 'Aroma oil upgrade', 'Premium essential oil blend (lavender, eucalyptus or ylang-ylang) instead of the house oil.', 0, 29900, true, 20),
  ('HEAD_15', 'Head massage (15 min)', 'Champi-style scalp massage with warm coconut or bhringraj oil.', 15, 49900, true, 30),
  ('FOOT_SCRUB', 'Foot scrub (15 min)', 'Salt and lemon scrub with a cooling peppermint finish.', 15, 39900, true, 40),
  ('BACK_FOCUS_15', 'Extra back focus (15 min)', 'Fifteen more minutes on the upper back, neck and shoulders.', 15, 49900, true, 50),
  ('HOT_STONES_15', 'Hot stones (15 min)', 'Warm basalt stones added to any oil massage.', 15, 59900, false, 60),
  ('EYE_PADS', 'Cooling eye pads', 'Cucumber and rose water eye pads during the massage.', 0, 14900, true, 70),
  ('STEAM_15', 'Herbal steam (15 min)', 'Ayurvedic herbal steam (swedana) after an oil treatment.', 15, 34900, false, 80),
  ('FACE_MASSAGE_20', 'Kumkumadi face massage (20 min)', 'Face massage with kumkumadi tailam for glow.', 20, 69900, true, 90)
on conflict (code) do nothing;

-- Services --------------------------------------------------------------------------------

insert into public.services (
  code, name, category, category_id, description, style, pressure_level, techniques, focus_areas,
  primary_benefits, contraindications, oils_products, room_setup, recommended_addons,
  duration_options, base_price_60min, is_home_service_available, gender_restriction
)
select v.code, v.name, v.category, c.id, v.description, v.style, v.pressure_level, v.techniques, v.focus_areas,
       v.primary_benefits, v.contraindications, v.oils_products, v.room_setup, v.recommended_addons,
       v.duration_options, v.base_price_60min, v.home, v.gender
  from (values
    ('SWD', 'Swedish Massage', 'relaxation', 'relaxation',
     'The classic full-body massage: long gliding strokes that ease everyday tension.',
     'Swedish', 2, 'Effleurage, petrissage, friction, tapotement, vibration',
     'Full body: back, shoulders, arms, legs, feet',
     'Relaxation, better circulation, improved sleep, reduced stress',
     'Fever, recent surgery, skin infections, deep vein thrombosis, first trimester of pregnancy',
     'Light almond or grapeseed carrier oil', 'Massage table, warm room, soft music, dim light',
     array['AROMA_UPGRADE', 'HOT_TOWEL', 'HEAD_15'], array[60, 90, 120], 249900::bigint, true, 'any'),
    ('ARO', 'Aromatherapy Massage', 'relaxation', 'aromatherapy',
     'A gentle Swedish-style massage with an essential oil blend chosen for your mood.',
     'Aromatherapy', 2, 'Swedish strokes, lymphatic strokes, inhalation of essential oils',
     'Full body, with focus on back and neck',
     'Stress and anxiety relief, mood uplift, better sleep',
     'Pregnancy (some oils), asthma triggered by scents, oil allergies, epilepsy',
     'Essential oil blends (lavender, eucalyptus, ylang-ylang, lemongrass) in sweet almond oil',
     'Massage table, diffuser, warm towels, dim light',
     array['HOT_TOWEL', 'EYE_PADS', 'HEAD_15'], array[60, 90, 120], 279900::bigint, true, 'any'),
    ('DPT', 'Deep Tissue Massage', 'therapeutic', 'deep_tissue_sports',
     'Slow, firm strokes and sustained pressure that reach the deeper layers of muscle and fascia.',
     'Deep tissue', 5, 'Stripping, cross-fibre friction, trigger point release, forearm work',
     'Back, neck, shoulders, hips, hamstrings',
     'Relief from chronic pain and stiffness, better posture and mobility',
     'Osteoporosis, blood thinners, recent injury or surgery, pregnancy, varicose veins',
     'Unscented massage cream or arnica oil', 'Massage table with face cradle, bolsters',
     array['BACK_FOCUS_15', 'HOT_STONES_15', 'HOT_TOWEL'], array[60, 90, 120], 299900::bigint, true, 'any'),
    ('BAL', 'Balinese Massage', 'specialty', 'asian_traditions',
     'Traditional Indonesian massage combining acupressure, skin rolling and long strokes with warm oil.',
     'Balinese', 3, 'Acupressure, skin rolling, kneading, palm pressure, gentle stretches',
     'Full body', 'Deep relaxation, relief of muscle tension, improved energy flow',
     'Fever, skin conditions, recent surgery, pregnancy',
     'Frangipani or coconut oil', 'Massage table, warm oil, tropical aroma',
     array['AROMA_UPGRADE', 'FOOT_SCRUB', 'HOT_TOWEL'], array[60, 90, 120], 289900::bigint, true, 'any'),
    ('THA', 'Thai Massage', 'specialty', 'asian_traditions',
     'Dry, fully clothed massage on a mat with assisted yoga-like stretches and rhythmic pressure.',
     'Thai', 4, 'Assisted stretching, palm and thumb pressure along sen lines, rocking',
     'Full body, hips, spine, legs', 'Flexibility, joint mobility, energy, relief of stiffness',
     'Pregnancy, recent fractures, hernia, high blood pressure, osteoporosis',
     'No oil; loose cotton clothing provided', 'Floor mat, cushions, loose clothing',
     array['FOOT_SCRUB', 'HOT_TOWEL'], array[60, 90, 120], 279900::bigint, true, 'any'),
    ('HST', 'Hot Stone Massage', 'specialty', 'hot_therapies',
     'Heated basalt stones glide over and rest on the body to melt tension from deep in the muscles.',
     'Hot stone', 3, 'Stone placement, stone effleurage, Swedish strokes',
     'Back, shoulders, legs, palms, feet', 'Deep muscle relaxation, improved circulation, calm',
     'Diabetes with neuropathy, high blood pressure, heart disease, pregnancy, sunburn',
     'Basalt stones heated to 50-55 C, almond oil', 'Massage table, stone heater, towels',
     array['AROMA_UPGRADE', 'HOT_TOWEL'], array[60, 90, 120], 349900::bigint, false, 'any'),
    ('ABH', 'Abhyanga', 'wellness', 'ayurveda',
     'Kerala Ayurvedic full-body massage with generous warm medicated oil chosen for your dosha.',
     'Ayurvedic', 3, 'Synchronised long strokes, circular strokes on joints, marma points',
     'Full body including scalp', 'Nourished skin, calm mind, balanced doshas, better sleep',
     'Fever, indigestion, acute illness, during menstruation (first days)',
     'Dhanwantharam, Ksheerabala or Mahanarayan tailam',
     'Wooden droni or massage table, warm oil, herbal steam after',
     array['STEAM_15', 'HEAD_15'], array[60, 90], 269900::bigint, true, 'any'),
    ('SHI', 'Shirodhara', 'wellness', 'ayurveda',
     'A steady stream of warm medicated oil poured over the forehead, preceded by a head and shoulder massage.',
     'Ayurvedic', 1, 'Continuous oil stream (dhara) on the forehead, head massage',
     'Forehead, scalp, head, neck', 'Deep calm, relief from insomnia, anxiety and headaches',
     'Head cold, sinusitis, fever, recent head injury, pregnancy',
     'Ksheerabala or Brahmi tailam, medicated milk or buttermilk (takradhara)',
     'Dhara stand and vessel, droni, warm room',
     array['FACE_MASSAGE_20', 'STEAM_15'], array[45, 60], 329900::bigint, false, 'any'),
    ('POT', 'Potli Massage', 'wellness', 'ayurveda',
     'Warm herbal poultices (potli / kizhi) pressed and rolled over the body after an oil massage.',
     'Ayurvedic', 3, 'Herbal compress pressing and rolling, oil massage',
     'Joints, back, shoulders, knees', 'Relief from joint pain and stiffness, better circulation',
     'Open wounds, skin infections, high fever, pregnancy',
     'Herbal potlis (Elakizhi leaves, rice, turmeric), Kottamchukkadi tailam',
     'Massage table, potli warmer, warm oil',
     array['STEAM_15', 'HOT_TOWEL'], array[60, 90], 319900::bigint, true, 'any'),
    ('FRF', 'Foot Reflexology', 'therapeutic', 'reflexology_pressure',
     'Thumb and finger pressure on reflex points of the feet that mirror the whole body.',
     'Reflexology', 3, 'Thumb walking, finger pressure, rotation on reflex points',
     'Feet and lower legs', 'Relief for tired feet, relaxation, better sleep',
     'Foot injuries, gout flare, blood clots, first trimester of pregnancy',
     'Peppermint foot balm', 'Recliner chair, foot rest, warm water foot soak',
     array['FOOT_SCRUB', 'HOT_TOWEL'], array[30, 45, 60], 179900::bigint, true, 'any'),
    ('HSM', 'Head & Shoulder Massage', 'relaxation', 'head_and_feet',
     'Indian head massage (champi) with neck and shoulder work for desk-bound tension.',
     'Indian head massage', 3, 'Champi, kneading, pressure points on scalp, neck and shoulders',
     'Head, scalp, neck, shoulders, upper back', 'Relief from headaches and neck stiffness, calm',
     'Scalp infection, recent neck injury, migraine attack in progress',
     'Warm coconut or bhringraj oil (optional)', 'Massage chair or table',
     array['EYE_PADS', 'HOT_TOWEL'], array[30, 45], 169900::bigint, true, 'any'),
    ('BNS', 'Back, Neck & Shoulder Massage', 'therapeutic', 'deep_tissue_sports',
     'Focused firm massage of the upper body for knots from long hours at the desk or behind the wheel.',
     'Swedish / deep tissue', 4, 'Kneading, trigger point release, stretching',
     'Upper back, neck, shoulders', 'Relief from upper-body knots and stiffness',
     'Recent neck or spine injury, osteoporosis',
     'Unscented massage cream', 'Massage table with face cradle',
     array['HEAD_15', 'HOT_TOWEL'], array[30, 45, 60], 199900::bigint, true, 'any'),
    ('CPL', 'Couples Massage', 'couples', 'couples_rituals',
     'Two therapists, two tables, one room: a relaxing Swedish or aromatherapy massage side by side. Price is for two guests.',
     'Swedish / aromatherapy', 2, 'Swedish strokes, aromatherapy',
     'Full body', 'Shared relaxation, quality time together',
     'As for Swedish massage, for each guest',
     'Almond oil or essential oil blends', 'Couples suite with two tables, candles',
     array['AROMA_UPGRADE', 'HOT_TOWEL'], array[60, 90, 120], 499900::bigint, false, 'any'),
    ('CPA', 'Couples Ayurvedic Ritual', 'couples', 'couples_rituals',
     'Synchronised Abhyanga for two followed by herbal steam. Price is for two guests.',
     'Ayurvedic', 3, 'Abhyanga strokes, marma points, herbal steam',
     'Full body including scalp', 'Shared deep relaxation, nourished skin',
     'Fever, acute illness, indigestion',
     'Dhanwantharam tailam', 'Couples suite with two droni tables and steam chambers',
     array['STEAM_15'], array[90, 120], 579900::bigint, false, 'any'),
    ('BSC', 'Body Scrub', 'specialty', 'body_treatments',
     'Full-body exfoliation with an ubtan, coffee or sea-salt scrub followed by a moisturising massage.',
     'Body treatment', 2, 'Dry exfoliation, circular scrubbing, hot towel removal',
     'Full body', 'Smooth, glowing skin, removal of dead skin and tan',
     'Sunburn, open cuts, eczema flare, recent waxing',
     'Ubtan (gram flour, turmeric, sandalwood), coffee or sea-salt scrub, body lotion',
     'Wet room or table with shower access, towels',
     array['HOT_TOWEL', 'FACE_MASSAGE_20'], array[45, 60], 219900::bigint, true, 'any'),
    ('BWR', 'Body Wrap', 'specialty', 'body_treatments',
     'Mineral mud, seaweed or herbal paste applied and wrapped to draw out toxins and hydrate the skin.',
     'Body treatment', 1, 'Application, cocoon wrap, scalp massage while wrapped',
     'Full body', 'Detox, skin hydration and firming, relaxation',
     'Claustrophobia, high blood pressure, shellfish or iodine allergy (seaweed), pregnancy',
     'Multani mitti, seaweed or chocolate wrap, body butter',
     'Table with thermal blanket, shower access',
     array['HEAD_15', 'HOT_TOWEL'], array[60, 90], 259900::bigint, false, 'any'),
    ('PRN', 'Prenatal Massage', 'wellness', 'prenatal_care',
     'Side-lying massage for the second and third trimesters by therapists trained in pregnancy care.',
     'Prenatal', 2, 'Side-lying Swedish strokes, gentle lymphatic work',
     'Back, hips, legs, feet, shoulders', 'Relief from back and leg aches, less swelling, better sleep',
     'First trimester, high-risk pregnancy, pre-eclampsia; doctor''s approval advised',
     'Unscented coconut or almond oil', 'Massage table with pregnancy bolsters',
     array['FOOT_SCRUB'], array[60, 90], 279900::bigint, true, 'female_only'),
    ('SPT', 'Sports Massage', 'therapeutic', 'deep_tissue_sports',
     'Pre- or post-event massage for runners, cricketers and gym-goers, with stretching.',
     'Sports', 4, 'Compression, deep strokes, trigger points, assisted stretching',
     'Legs, hips, back, shoulders', 'Faster recovery, less soreness, better range of motion',
     'Acute injury (first 48 hours), fractures, open wounds',
     'Arnica or wintergreen muscle rub', 'Massage table, bolsters, foam roller',
     array['HOT_TOWEL', 'BACK_FOCUS_15'], array[60, 90], 299900::bigint, true, 'any'),
    ('LOM', 'Lomi Lomi Massage', 'specialty', 'asian_traditions',
     'Hawaiian massage with continuous, wave-like forearm strokes.',
     'Lomi Lomi', 3, 'Long continuous forearm strokes, rhythmic movements',
     'Full body', 'Deep relaxation, release of tension, improved circulation',
     'Fever, skin conditions, recent surgery, pregnancy',
     'Macadamia or coconut oil', 'Massage table, warm oil, Hawaiian music',
     array['AROMA_UPGRADE', 'HOT_TOWEL'], array[60, 90, 120], 319900::bigint, true, 'any'),
    ('KER', 'Kerala Ayurvedic Massage (Uzhichil)', 'wellness', 'ayurveda',
     'Vigorous traditional Kerala massage with medicated oil, done partly by the therapist''s feet in the classical form.',
     'Ayurvedic', 4, 'Uzhichil strokes, marma point stimulation',
     'Full body', 'Muscle tone, joint flexibility, circulation, relief from fatigue',
     'Fever, acute illness, pregnancy, skin infections',
     'Murivenna or Kottamchukkadi tailam', 'Wooden droni, warm oil, steam chamber',
     array['STEAM_15', 'HEAD_15'], array[60, 90], 289900::bigint, false, 'any'),
    ('UDV', 'Udvartana', 'wellness', 'ayurveda',
     'Dry herbal powder massage in upward strokes, traditionally used for toning and lightness.',
     'Ayurvedic', 4, 'Upward strokes with herbal powder (udvartana churna)',
     'Full body, thighs, abdomen, arms', 'Skin toning, lightness, improved circulation',
     'Dry or sensitive skin, pregnancy, fever',
     'Triphala and kolakuladi churna', 'Massage table or droni, shower access',
     array['STEAM_15'], array[45, 60], 259900::bigint, true, 'any'),
    ('KTB', 'Kati Basti', 'wellness', 'ayurveda',
     'Warm medicated oil held over the lower back in a ring of black gram dough.',
     'Ayurvedic', 1, 'Oil pooling (basti) and gentle lower-back massage',
     'Lower back (lumbar spine)', 'Relief from lower back pain and stiffness',
     'Open wounds on the back, fever, pregnancy',
     'Mahanarayan or Dhanwantharam tailam, black gram dough',
     'Massage table, oil warmer',
     array['STEAM_15', 'HOT_TOWEL'], array[30, 45], 199900::bigint, false, 'any'),
    ('SHT', 'Shiatsu', 'therapeutic', 'reflexology_pressure',
     'Japanese finger-pressure therapy along the meridians, done fully clothed.',
     'Shiatsu', 4, 'Finger and palm pressure, stretches, rotations',
     'Full body along meridians', 'Relief from tension and fatigue, balance and energy',
     'Osteoporosis, recent fractures, pregnancy, blood thinners',
     'No oil; loose clothing provided', 'Floor futon or mat',
     array['HOT_TOWEL'], array[60, 90], 279900::bigint, true, 'any'),
    ('SIG', 'OMBARO Signature Fusion', 'relaxation', 'aromatherapy',
     'Our signature blend of Balinese, Swedish and Ayurvedic strokes with a warm aroma oil and a head massage.',
     'Fusion', 3, 'Swedish and Balinese strokes, marma points, champi',
     'Full body including scalp', 'Deep relaxation, relief of tension, glowing skin',
     'Fever, recent surgery, first trimester of pregnancy',
     'House aroma blend in sesame and almond oil', 'Massage table, warm towels, diffuser',
     array['HOT_STONES_15', 'FACE_MASSAGE_20'], array[60, 90, 120], 329900::bigint, true, 'any')
  ) as v (code, name, category, category_code, description, style, pressure_level, techniques,
          focus_areas, primary_benefits, contraindications, oils_products, room_setup,
          recommended_addons, duration_options, base_price_60min, home, gender)
  join public.service_categories c on c.code = v.category_code
on conflict (code) do nothing;

-- Variants: one per offered duration. Longer sessions cost proportionally less per minute;
-- prices end in 99 rupees like the menu cards.

insert into public.service_variants (service_id, name, duration_minutes, price, is_default, sort_order)
select s.id,
       d.minutes || ' min',
       d.minutes,
       case when d.minutes = 60 then s.base_price_60min
            else (round(s.base_price_60min * f.factor / 10000.0) * 10000 - 100)::bigint
       end,
       d.minutes = 60 or (60 <> all (s.duration_options) and d.ord = 1),
       d.ord::integer * 10
  from public.services s
 cross join lateral unnest(s.duration_options) with ordinality as d (minutes, ord)
  join (values (30, 0.60), (45, 0.80), (60, 1.00), (90, 1.40), (120, 1.80)) as f (minutes, factor)
    on f.minutes = d.minutes
 where s.code in ('SWD', 'ARO', 'DPT', 'BAL', 'THA', 'HST', 'ABH', 'SHI', 'POT', 'FRF', 'HSM', 'BNS',
                  'CPL', 'CPA', 'BSC', 'BWR', 'PRN', 'SPT', 'LOM', 'KER', 'UDV', 'KTB', 'SHT', 'SIG')
on conflict (service_id, name) do nothing;

-- Packages: list price = sum of the variants; discount_percentage is the saving on it --

insert into public.service_packages (code, name, description, service_ids, total_duration, package_price, discount_percentage)
select v.code, v.name, v.description,
       array(select s.id from unnest(v.service_codes) with ordinality as c (code, ord)
               join public.services s on s.code = c.code order by c.ord),
       v.total_duration, v.package_price, v.discount_percentage
  from (values
    ('AYUR_REJUVENATION', 'Ayurvedic Rejuvenation',
     'Abhyanga (60 min) followed by Shirodhara (45 min).',
     array['ABH', 'SHI'], 105, 449900::bigint, 15.08),
    ('DETOX_GLOW', 'Detox & Glow',
     'Body Scrub (45 min) followed by a Body Wrap (60 min).',
     array['BSC', 'BWR'], 105, 379900::bigint, 13.62),
    ('UNWIND_EXPRESS', 'Unwind Express',
     'Swedish Massage (60 min) and Foot Reflexology (30 min).',
     array['SWD', 'FRF'], 90, 299900::bigint, 16.65),
    ('ATHLETE_RECOVERY', 'Athlete Recovery',
     'Sports Massage (90 min) and Foot Reflexology (45 min).',
     array['SPT', 'FRF'], 135, 469900::bigint, 16.06),
    ('BRIDAL_RADIANCE', 'Bridal Radiance',
     'Pre-wedding ritual: Abhyanga (60 min), ubtan Body Scrub (45 min) and Body Wrap (60 min).',
     array['ABH', 'BSC', 'BWR'], 165, 599900::bigint, 15.47)
  ) as v (code, name, description, service_codes, total_duration, package_price, discount_percentage)
on conflict (code) do nothing;

-- Tags ------------------------------------------------------------------------------------

insert into public.service_tags (slug, name, tag_type, sort_order)
values
  ('stress-relief', 'Stress relief', 'benefit', 10),
  ('pain-relief', 'Pain relief', 'benefit', 20),
  ('better-sleep', 'Better sleep', 'benefit', 30),
  ('muscle-recovery', 'Muscle recovery', 'benefit', 40),
  ('detox', 'Detox', 'benefit', 50),
  ('skin-glow', 'Skin glow', 'benefit', 60),
  ('full-body', 'Full body', 'body_area', 10),
  ('back-neck-shoulders', 'Back, neck & shoulders', 'body_area', 20),
  ('head-scalp', 'Head & scalp', 'body_area', 30),
  ('feet', 'Feet', 'body_area', 40),
  ('ayurvedic', 'Ayurvedic', 'technique', 10),
  ('aromatic-oils', 'Aromatic oils', 'technique', 20),
  ('no-oil', 'No oil', 'technique', 30),
  ('hot-therapy', 'Hot therapy', 'technique', 40),
  ('pregnancy-safe', 'Pregnancy safe', 'audience', 10),
  ('for-athletes', 'For athletes', 'audience', 20),
  ('first-timer-friendly', 'First-timer friendly', 'audience', 30),
  ('couples', 'For couples', 'occasion', 10),
  ('bridal', 'Bridal & pre-wedding', 'occasion', 20),
  ('quick-30-min', 'Quick 30 min', 'general', 10)
on conflict (slug) do nothing;

insert into public.service_tag_mapping (service_id, tag_id)
select s.id, t.id
  from (values
    ('SWD', 'stress-relief'), ('SWD', 'full-body'), ('SWD', 'first-timer-friendly'), ('SWD', 'better-sleep'),
    ('ARO', 'stress-relief'), ('ARO', 'aromatic-oils'), ('ARO', 'better-sleep'), ('ARO', 'full-body'),
    ('DPT', 'pain-relief'), ('DPT', 'muscle-recovery'), ('DPT', 'back-neck-shoulders'),
    ('BAL', 'stress-relief'), ('BAL', 'full-body'),
    ('THA', 'no-oil'), ('THA', 'muscle-recovery'), ('THA', 'full-body'),
    ('HST', 'hot-therapy'), ('HST', 'stress-relief'), ('HST', 'pain-relief'),
    ('ABH', 'ayurvedic'), ('ABH', 'full-body'), ('ABH', 'skin-glow'), ('ABH', 'bridal'),
    ('SHI', 'ayurvedic'), ('SHI', 'head-scalp'), ('SHI', 'better-sleep'), ('SHI', 'stress-relief'),
    ('POT', 'ayurvedic'), ('POT', 'hot-therapy'), ('POT', 'pain-relief'),
    ('FRF', 'feet'), ('FRF', 'quick-30-min'), ('FRF', 'first-timer-friendly'),
    ('HSM', 'head-scalp'), ('HSM', 'back-neck-shoulders'), ('HSM', 'quick-30-min'),
    ('BNS', 'back-neck-shoulders'), ('BNS', 'pain-relief'), ('BNS', 'quick-30-min'),
    ('CPL', 'couples'), ('CPL', 'stress-relief'),
    ('CPA', 'couples'), ('CPA', 'ayurvedic'),
    ('BSC', 'skin-glow'), ('BSC', 'detox'), ('BSC', 'bridal'),
    ('BWR', 'detox'), ('BWR', 'skin-glow'), ('BWR', 'bridal'),
    ('PRN', 'pregnancy-safe'), ('PRN', 'pain-relief'),
    ('SPT', 'for-athletes'), ('SPT', 'muscle-recovery'), ('SPT', 'pain-relief'),
    ('LOM', 'stress-relief'), ('LOM', 'full-body'),
    ('KER', 'ayurvedic'), ('KER', 'muscle-recovery'), ('KER', 'full-body'),
    ('UDV', 'ayurvedic'), ('UDV', 'detox'),
    ('KTB', 'ayurvedic'), ('KTB', 'pain-relief'), ('KTB', 'back-neck-shoulders'),
    ('SHT', 'no-oil'), ('SHT', 'stress-relief'),
    ('SIG', 'aromatic-oils'), ('SIG', 'full-body'), ('SIG', 'stress-relief')
  ) as v (service_code, tag_slug)
  join public.services s on s.code = v.service_code
  join public.service_tags t on t.slug = v.tag_slug
on conflict (service_id, tag_id) do nothing;

-- Pricing tiers ---------------------------------------------------------------------------
-- Multipliers in basis points (10000 = list price). Days: 0 = Sunday. Times and dates are
-- local to the vendor (IST).

insert into public.service_pricing_tiers (
  code, name, tier_type, service_id, days_of_week, start_time, end_time, city_tier,
  valid_from, valid_to, multiplier_bps, flat_adjustment, priority
)
select v.code, v.name, v.tier_type, s.id, v.days_of_week, v.start_time, v.end_time, v.city_tier,
       v.valid_from, v.valid_to, v.multiplier_bps, v.flat_adjustment, v.priority
  from (values
    ('weekend_uplift', 'Weekend (+10%)', 'weekend', null, array[0, 6], null::time, null::time, null::smallint,
     null::date, null::date, 11000, null::bigint, 10),
    ('evening_peak', 'Evening peak 18:00-21:00 (+5%)', 'peak_hour', null, null::integer[], '18:00'::time, '21:00'::time, null,
     null, null, 10500, null, 20),
    ('weekday_morning_offpeak', 'Weekday mornings 10:00-13:00 (-5%)', 'peak_hour', null, array[1, 2, 3, 4, 5], '10:00', '13:00', null,
     null, null, 9500, null, 20),
    ('metro_tier1', 'Tier-1 city (+10%)', 'city_tier', null, null, null, null, 1,
     null, null, 11000, null, 30),
    ('tier3_city', 'Tier-3 city (-10%)', 'city_tier', null, null, null, null, 3,
     null, null, 9000, null, 30),
    ('festival_diwali_2025', 'Diwali 2025 (+15%)', 'festival', null, null, null, null, null,
     '2025-10-17'::date, '2025-10-23'::date, 11500, null, 40),
    ('festival_new_year_2026', 'New Year''s Eve 2025 (+20%)', 'festival', null, null, null, null, null,
     '2025-12-31', '2026-01-01', 12000, null, 40),
    ('festival_valentines_2026_couples', 'Valentine''s weekend 2026, couples (+Rs 500)', 'festival', 'CPL', null, null, null, null,
     '2026-02-13', '2026-02-15', null, 50000, 40),
    ('festival_diwali_2026', 'Diwali 2026 (+15%)', 'festival', null, null, null, null, null,
     '2026-11-05', '2026-11-11', 11500, null, 40)
  ) as v (code, name, tier_type, service_code, days_of_week, start_time, end_time, city_tier,
          valid_from, valid_to, multiplier_bps, flat_adjustment, priority)
  left join public.services s on s.code = v.service_code
on conflict (code) do nothing;
