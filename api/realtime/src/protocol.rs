//! The Phoenix channel messages realtime-js exchanges, in both serialisations it speaks:
//! `vsn=1.0.0`, a JSON object per frame, and `vsn=2.0.0` (realtime-js's default), a JSON array
//! `[join_ref, ref, topic, event, payload]` per text frame plus a binary frame for a client's
//! user broadcast.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vsn {
    V1,
    V2,
}

impl Vsn {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("1.0.0") => Ok(Vsn::V1),
            Some("2.0.0") => Ok(Vsn::V2),
            Some(other) => Err(format!("unsupported protocol version {other}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub join_ref: Option<String>,
    pub msg_ref: Option<String>,
    pub topic: String,
    pub event: String,
    pub payload: Value,
}

impl Message {
    pub fn new(topic: &str, event: &str, payload: Value) -> Self {
        Self {
            join_ref: None,
            msg_ref: None,
            topic: topic.to_owned(),
            event: event.to_owned(),
            payload,
        }
    }

    /// The `phx_reply` to this message.
    pub fn reply(&self, status: &str, response: Value) -> Self {
        Self {
            join_ref: self.join_ref.clone(),
            msg_ref: self.msg_ref.clone(),
            topic: self.topic.clone(),
            event: "phx_reply".into(),
            payload: json!({"status": status, "response": response}),
        }
    }

    pub fn encode(&self, vsn: Vsn) -> String {
        match vsn {
            Vsn::V1 => json!({
                "join_ref": self.join_ref,
                "ref": self.msg_ref,
                "topic": self.topic,
                "event": self.event,
                "payload": self.payload,
            })
            .to_string(),
            Vsn::V2 => json!([self.join_ref, self.msg_ref, self.topic, self.event, self.payload]).to_string(),
        }
    }

    pub fn decode_text(text: &str, vsn: Vsn) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let string = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        };
        match (vsn, &value) {
            (Vsn::V2, Value::Array(items)) if items.len() == 5 => Ok(Self {
                join_ref: string(&items[0]),
                msg_ref: string(&items[1]),
                topic: items[2].as_str().ok_or("topic must be a string")?.to_owned(),
                event: items[3].as_str().ok_or("event must be a string")?.to_owned(),
                payload: items[4].clone(),
            }),
            (_, Value::Object(o)) => Ok(Self {
                join_ref: o.get("join_ref").and_then(string),
                msg_ref: o.get("ref").and_then(string),
                topic: o
                    .get("topic")
                    .and_then(Value::as_str)
                    .ok_or("topic must be a string")?
                    .to_owned(),
                event: o
                    .get("event")
                    .and_then(Value::as_str)
                    .ok_or("event must be a string")?
                    .to_owned(),
                payload: o.get("payload").cloned().unwrap_or(Value::Null),
            }),
            _ => Err("a message is [join_ref, ref, topic, event, payload] or an object".into()),
        }
    }

    /// A `vsn=2.0.0` binary frame: kind 3, a user broadcast pushed by the client, as
    /// realtime-js's serializer writes it (lengths, then join_ref, ref, topic, event,
    /// metadata, then the payload, JSON or raw bytes).
    pub fn decode_binary(bytes: &[u8]) -> Result<Self, String> {
        const USER_BROADCAST_PUSH: u8 = 3;
        if bytes.len() < 7 || bytes[0] != USER_BROADCAST_PUSH {
            return Err("unsupported binary frame".into());
        }
        let lengths: Vec<usize> = bytes[1..6].iter().map(|b| *b as usize).collect();
        let json_encoded = bytes[6] == 1;
        let mut offset = 7;
        let mut take = |n: usize| -> Result<String, String> {
            let piece = bytes.get(offset..offset + n).ok_or("truncated binary frame")?;
            offset += n;
            String::from_utf8(piece.to_vec()).map_err(|_| "binary frame header is not UTF-8".to_owned())
        };
        let join_ref = take(lengths[0])?;
        let msg_ref = take(lengths[1])?;
        let topic = take(lengths[2])?;
        let user_event = take(lengths[3])?;
        let metadata = take(lengths[4])?;
        let body = &bytes[offset..];
        let payload = if json_encoded {
            serde_json::from_slice(body).map_err(|e| format!("broadcast payload is not JSON: {e}"))?
        } else {
            // Raw bytes travel on as an array of numbers (this server relays JSON only).
            Value::Array(body.iter().map(|b| json!(b)).collect())
        };
        let mut broadcast = json!({"type": "broadcast", "event": user_event, "payload": payload});
        if !metadata.is_empty() {
            if let Ok(meta) = serde_json::from_str::<Value>(&metadata) {
                broadcast["meta"] = meta;
            }
        }
        Ok(Self {
            join_ref: (!join_ref.is_empty()).then_some(join_ref),
            msg_ref: (!msg_ref.is_empty()).then_some(msg_ref),
            topic,
            event: "broadcast".into(),
            payload: broadcast,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_serialisations_round_trip() {
        let m = Message {
            join_ref: Some("1".into()),
            msg_ref: Some("2".into()),
            topic: "realtime:room".into(),
            event: "phx_join".into(),
            payload: json!({"config": {}}),
        };
        for vsn in [Vsn::V1, Vsn::V2] {
            assert_eq!(Message::decode_text(&m.encode(vsn), vsn).unwrap(), m);
        }
    }

    #[test]
    fn binary_user_broadcast_push() {
        let (join_ref, r, topic, event) = ("1", "5", "realtime:room", "moved");
        let body = br#"{"x":1}"#;
        let mut frame = vec![3, 1, 1, topic.len() as u8, event.len() as u8, 0, 1];
        for part in [join_ref, r, topic, event] {
            frame.extend_from_slice(part.as_bytes());
        }
        frame.extend_from_slice(body);
        let m = Message::decode_binary(&frame).unwrap();
        assert_eq!(m.topic, topic);
        assert_eq!(
            m.payload,
            json!({"type": "broadcast", "event": "moved", "payload": {"x": 1}})
        );
        assert!(Message::decode_binary(&frame[..9]).is_err());
    }
}
