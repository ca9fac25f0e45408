//! SMS encoding and cost: GSM-7 when every character is in the GSM 03.38 (3GPP TS 23.038)
//! default alphabet or its extension table, UCS-2 otherwise; and the number of segments an
//! operator bills. One segment carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units;
//! a longer message is split into parts that each give 6 octets to the concatenation header,
//! leaving 153 septets or 67 code units. An extension character (`^ { } \ [ ~ ] | €` and form
//! feed) is an escape plus a septet, so it counts as two and is never split across parts;
//! neither is a UTF-16 surrogate pair (an emoji is two UCS-2 units).

use serde::Serialize;

/// The GSM 03.38 default alphabet, in table order (ESC, 0x1B, left out: it is not text).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table, reached through ESC: two septets each.
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets per single message and per part of a concatenated one.
pub const GSM7_SINGLE: u32 = 160;
pub const GSM7_PART: u32 = 153;
/// UCS-2 code units per single message and per part.
pub const UCS2_SINGLE: u32 = 70;
pub const UCS2_PART: u32 = 67;

/// How the text is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// What an SMS body costs to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SmsCost {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole body.
    pub units: u32,
    /// Billable parts, `sms_logs.segments` (at least 1).
    pub segments: u32,
}

/// Septets one character takes in GSM-7, or `None` when it is not in the alphabet.
pub fn gsm7_septets(c: char) -> Option<u32> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding, units and segments of `body`.
pub fn cost(body: &str) -> SmsCost {
    let gsm: Option<Vec<u32>> = body.chars().map(gsm7_septets).collect();
    let (encoding, widths, single, part) = match gsm {
        Some(widths) => (Encoding::Gsm7, widths, GSM7_SINGLE, GSM7_PART),
        None => (
            Encoding::Ucs2,
            body.chars().map(|c| c.len_utf16() as u32).collect(),
            UCS2_SINGLE,
            UCS2_PART,
        ),
    };
    let units: u32 = widths.iter().sum();
    let segments = if units <= single {
        1
    } else {
        // Parts are filled in order and a character that does not fit starts the next one.
        let mut segments = 1;
        let mut used = 0;
        for w in widths {
            if used + w > part {
                segments += 1;
                used = 0;
            }
            used += w;
        }
        segments
    };
    SmsCost {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_128_characters_less_escape() {
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_BASIC.chars().all(|c| !GSM7_EXTENSION.contains(c)));
    }

    #[test]
    fn plain_english_is_gsm7_one_septet_a_character() {
        let c = cost("Your OMBARO booking OBO-1 is confirmed. -OMBARO");
        assert_eq!(c.encoding, Encoding::Gsm7);
        assert_eq!(c.units, 47);
        assert_eq!(c.segments, 1);
    }

    #[test]
    fn gsm7_boundaries_are_160_then_153_per_part() {
        assert_eq!(cost(&"a".repeat(160)).segments, 1);
        assert_eq!(cost(&"a".repeat(161)).segments, 2);
        assert_eq!(cost(&"a".repeat(306)).segments, 2);
        assert_eq!(cost(&"a".repeat(307)).segments, 3);
        assert_eq!(cost("").segments, 1);
    }

    #[test]
    fn extension_characters_count_double_and_are_not_split() {
        let c = cost("[]");
        assert_eq!((c.encoding, c.units), (Encoding::Gsm7, 4));
        assert_eq!(cost(&"€".repeat(80)).segments, 1); // 160 septets
        assert_eq!(cost(&"€".repeat(81)).segments, 2);
        // 152 plain septets then an escape pair: the pair cannot start in the 153rd septet.
        let body = format!("{}{}{}", "a".repeat(152), "{", "a".repeat(152));
        let c = cost(&body);
        assert_eq!(c.units, 306);
        assert_eq!(c.segments, 3);
    }

    #[test]
    fn anything_outside_gsm7_makes_it_ucs2() {
        // The rupee sign and Devanagari are not GSM-7.
        let c = cost("Refund of ₹1,499.00 processed");
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.units, 29);
        assert_eq!(cost("आपकी बुकिंग पक्की है").encoding, Encoding::Ucs2);
        assert_eq!(cost(&"₹".repeat(70)).segments, 1);
        assert_eq!(cost(&"₹".repeat(71)).segments, 2);
        assert_eq!(cost(&"₹".repeat(134)).segments, 2);
        assert_eq!(cost(&"₹".repeat(135)).segments, 3);
    }

    #[test]
    fn a_surrogate_pair_is_two_units_and_stays_whole() {
        let c = cost("🙂");
        assert_eq!((c.encoding, c.units), (Encoding::Ucs2, 2));
        assert_eq!(cost(&"🙂".repeat(35)).segments, 1);
        // 66 units then a pair: it does not fit the 67th unit.
        let body = format!("{}🙂{}", "₹".repeat(66), "₹".repeat(66));
        assert_eq!(cost(&body).units, 134);
        assert_eq!(cost(&body).segments, 3);
    }

    #[test]
    fn accented_letters_of_the_alphabet_stay_gsm7_others_do_not() {
        assert_eq!(cost("Café Ñoño à").encoding, Encoding::Gsm7);
        assert_eq!(cost("ç").encoding, Encoding::Ucs2); // only capital Ç is in the table
        assert_eq!(cost("Rs 1,499").encoding, Encoding::Gsm7);
    }
}
