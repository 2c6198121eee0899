//! AMF0, the encoding of RTMP's commands and metadata (Adobe's "Action Message Format -- AMF 0"): the values a
//! publisher sends (`connect`, `createStream`, `publish`, `@setDataFrame`) and the ones the server answers with.
//! Decoding is bounded: nesting deeper than [`MAX_DEPTH`] and lengths past the input are errors, never a panic or
//! an allocation the input did not pay for.

use std::fmt;

/// How deep objects and arrays may nest (publishers send two levels at most).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Boolean(bool),
    String(String),
    /// An object or an ECMA array: its properties in order.
    Object(Vec<(String, Value)>),
    Null,
    Undefined,
    /// A strict array.
    Array(Vec<Value>),
    /// Milliseconds since the epoch.
    Date(f64),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A property of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(properties) => properties.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn object<const N: usize>(properties: [(&str, Value); N]) -> Value {
        Value::Object(properties.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

/// Why AMF0 input could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amf0Error {
    /// The input ends inside a value.
    Truncated,
    /// A type marker AMF0 does not have, or one a publisher has no business sending (references, XML, AMF3).
    Unsupported(u8),
    /// Objects or arrays nested deeper than a publisher ever needs.
    TooDeep,
    /// A string that is not UTF-8.
    NotUtf8,
}

impl fmt::Display for Amf0Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amf0Error::Truncated => write!(f, "AMF0 value cut short"),
            Amf0Error::Unsupported(marker) => write!(f, "unsupported AMF0 type 0x{marker:02x}"),
            Amf0Error::TooDeep => write!(f, "AMF0 values nested too deep"),
            Amf0Error::NotUtf8 => write!(f, "AMF0 string is not UTF-8"),
        }
    }
}

struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Amf0Error> {
        if self.input.len() < n {
            return Err(Amf0Error::Truncated);
        }
        let (taken, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, Amf0Error> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, Amf0Error> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, Amf0Error> {
        let b = self.take(4)?;
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).map_err(|_| Amf0Error::Truncated)
    }

    fn f64(&mut self) -> Result<f64, Amf0Error> {
        let b = self.take(8)?;
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(b);
        Ok(f64::from_be_bytes(bytes))
    }

    fn string(&mut self, len: usize) -> Result<String, Amf0Error> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Amf0Error::NotUtf8)
    }

    /// Properties up to the object end marker (an empty key, then 0x09).
    fn properties(&mut self, depth: usize) -> Result<Vec<(String, Value)>, Amf0Error> {
        let mut properties = Vec::new();
        loop {
            let len = self.u16()?;
            if len == 0 {
                // Some encoders end an ECMA array without the end marker: tolerate the input running out here.
                if self.input.first().is_none_or(|&marker| marker == 0x09) {
                    let _ = self.take(1);
                    return Ok(properties);
                }
            }
            let key = self.string(len)?;
            let value = self.value(depth + 1)?;
            properties.push((key, value));
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Amf0Error> {
        if depth > MAX_DEPTH {
            return Err(Amf0Error::TooDeep);
        }
        Ok(match self.u8()? {
            0x00 => Value::Number(self.f64()?),
            0x01 => Value::Boolean(self.u8()? != 0),
            0x02 => {
                let len = self.u16()?;
                Value::String(self.string(len)?)
            }
            0x03 => Value::Object(self.properties(depth)?),
            0x05 => Value::Null,
            0x06 => Value::Undefined,
            0x08 => {
                // The count is a hint only; the properties run to the end marker.
                self.u32()?;
                Value::Object(self.properties(depth)?)
            }
            0x0a => {
                let count = self.u32()?;
                // Each value is at least one byte: a count past the input is a lie, not an allocation.
                if count > self.input.len() {
                    return Err(Amf0Error::Truncated);
                }
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push(self.value(depth + 1)?);
                }
                Value::Array(values)
            }
            0x0b => {
                let millis = self.f64()?;
                self.take(2)?;
                Value::Date(millis)
            }
            0x0c => {
                let len = self.u32()?;
                Value::String(self.string(len)?)
            }
            marker => return Err(Amf0Error::Unsupported(marker)),
        })
    }
}

/// Every value in `input`, in order.
pub fn decode(input: &[u8]) -> Result<Vec<Value>, Amf0Error> {
    let mut reader = Reader { input };
    let mut values = Vec::new();
    while !reader.input.is_empty() {
        values.push(reader.value(0)?);
    }
    Ok(values)
}

fn encode_string_body(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Number(n) => {
            out.push(0x00);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Value::Boolean(b) => out.extend_from_slice(&[0x01, u8::from(*b)]),
        Value::String(s) => {
            out.push(0x02);
            encode_string_body(s, out);
        }
        Value::Object(properties) => {
            out.push(0x03);
            for (key, value) in properties {
                encode_string_body(key, out);
                encode_value(value, out);
            }
            out.extend_from_slice(&[0x00, 0x00, 0x09]);
        }
        Value::Null => out.push(0x05),
        Value::Undefined => out.push(0x06),
        Value::Array(values) => {
            out.push(0x0a);
            let count = u32::try_from(values.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&count.to_be_bytes());
            for value in values {
                encode_value(value, out);
            }
        }
        Value::Date(millis) => {
            out.push(0x0b);
            out.extend_from_slice(&millis.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
    }
}

/// `values` one after the other.
pub fn encode(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for value in values {
        encode_value(value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_encoded_decodes_the_same() {
        let values = vec![
            Value::String("connect".into()),
            Value::Number(1.0),
            Value::object([
                ("app", Value::String("live".into())),
                ("tcUrl", Value::String("rtmp://127.0.0.1/live".into())),
                ("fpad", Value::Boolean(false)),
                ("nested", Value::object([("deeper", Value::Null)])),
            ]),
            Value::Null,
            Value::Undefined,
            Value::Array(vec![Value::Number(2.5), Value::String("ライブ".into())]),
            Value::Date(1_700_000_000_000.0),
        ];
        assert_eq!(decode(&encode(&values)).unwrap(), values);
    }

    #[test]
    fn an_ecma_array_reads_as_an_object_with_or_without_its_end_marker() {
        // onMetaData as ffmpeg sends it: count, properties, end marker.
        let mut input = vec![0x08, 0, 0, 0, 1];
        encode_string_body("width", &mut input);
        input.push(0x00);
        input.extend_from_slice(&1280f64.to_be_bytes());
        let mut ended = input.clone();
        ended.extend_from_slice(&[0, 0, 9]);
        let expected = vec![Value::object([("width", Value::Number(1280.0))])];
        assert_eq!(decode(&ended).unwrap(), expected);
        input.extend_from_slice(&[0, 0]);
        assert_eq!(decode(&input).unwrap(), expected);
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic_or_a_big_allocation() {
        assert_eq!(decode(&[0x02, 0x00, 0x05, b'a']), Err(Amf0Error::Truncated));
        assert_eq!(decode(&[0x00, 1, 2]), Err(Amf0Error::Truncated));
        assert_eq!(decode(&[0x11]), Err(Amf0Error::Unsupported(0x11)));
        assert_eq!(decode(&[0x0a, 0xff, 0xff, 0xff, 0xff]), Err(Amf0Error::Truncated));
        assert_eq!(decode(&[0x0c, 0xff, 0xff, 0xff, 0xff, b'x']), Err(Amf0Error::Truncated));
        assert_eq!(decode(&[0x02, 0x00, 0x02, 0xff, 0xfe]), Err(Amf0Error::NotUtf8));
        // A million nested objects: refused at the depth limit, without recursing a million times.
        let mut deep = Vec::new();
        for _ in 0..1_000_000 {
            deep.extend_from_slice(&[0x03, 0x00, 0x01, b'k']);
        }
        assert_eq!(decode(&deep), Err(Amf0Error::TooDeep));
        // Every prefix of a valid command is an error or a shorter list, never a panic.
        let command = encode(&[
            Value::String("publish".into()),
            Value::Number(5.0),
            Value::Null,
            Value::String("key".into()),
            Value::object([("a", Value::Array(vec![Value::Null]))]),
        ]);
        for end in 0..command.len() {
            let _ = decode(&command[..end]);
        }
    }
}
