//! The smallest HTTP/1.1 client the benchmark needs: one keep-alive connection, JSON in and
//! out, `Content-Length` bodies (which is what this server sends). When the server closes the
//! connection (it does after refusing a request whose body it did not read, such as a 429) or
//! a request fails on it, the next request opens a new one, as a real client would.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Connection {
    /// `None` once the connection is closed or broken: the next request reopens it.
    stream: Option<BufReader<TcpStream>>,
    host: String,
    authorization: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl Connection {
    pub async fn open(address: &str, key: &str) -> std::io::Result<Connection> {
        Ok(Connection {
            stream: Some(connect(address).await?),
            host: address.to_string(),
            authorization: format!("GriffinAPIKey {key}"),
        })
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> std::io::Result<Reply> {
        let body = match body {
            Some(value) => serde_json::to_vec(value).map_err(std::io::Error::other)?,
            None => Vec::new(),
        };
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nAccept: application/json\r\n",
            self.host, self.authorization
        );
        if let Some(key) = idempotency_key {
            request.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        if !body.is_empty() {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(&body);
        let stream = match &mut self.stream {
            Some(stream) => stream,
            closed => closed.insert(connect(&self.host).await?),
        };
        let sent = exchange(stream, &bytes).await;
        // After an error the connection's state is unknown; after `Connection: close` it is
        // over. Either way the next request starts on a new one.
        if !matches!(sent, Ok((_, true))) {
            self.stream = None;
        }
        sent.map(|(reply, _)| reply)
    }
}

async fn connect(address: &str) -> std::io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// Writes one request and reads its reply; also says whether the connection stays open.
async fn exchange(
    stream: &mut BufReader<TcpStream>,
    request: &[u8],
) -> std::io::Result<(Reply, bool)> {
    stream.get_mut().write_all(request).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = 0usize;
    let mut keep_alive = true;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.trim().eq_ignore_ascii_case("close");
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((Reply { status, body }, keep_alive))
}
