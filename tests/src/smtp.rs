//! A real SMTP listener for the tests (SPEC §12): it speaks SMTP over a TCP socket, enough
//! of RFC 5321 for a client like `lettre` (greeting, EHLO/HELO, MAIL, RCPT, DATA with dot
//! stuffing, RSET, NOOP, QUIT), and keeps what arrives for the test to read. It can be
//! stopped and started again on the same port (an outage).

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// One message as delivered.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message (headers and body) as sent, dot stuffing undone.
    pub data: String,
}

impl Received {
    /// The message with quoted-printable soft line breaks and `=3D` undone: enough to read
    /// links and words back.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The first link to Gatehouse's `/account/<page>` in the message.
    pub fn link(&self, page: &str) -> String {
        let text = self.text();
        let marker = format!("/account/{page}?token=");
        let at = text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {page} link in {text}"));
        let start = text[..at].rfind("http").unwrap();
        let end = text[at..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .map_or(text.len(), |e| at + e);
        text[start..end].to_owned()
    }

    /// The token of that link.
    pub fn token(&self, page: &str) -> String {
        let link = self.link(page);
        url::Url::parse(&link)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "token")
            .unwrap()
            .1
            .into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    arrived: Notify,
}

pub struct SmtpListener {
    pub port: u16,
    inbox: Arc<Inbox>,
    server: Option<JoinHandle<()>>,
}

impl SmtpListener {
    pub async fn start() -> Self {
        let mut listener = Self {
            port: crate::services::free_port(),
            inbox: Arc::default(),
            server: None,
        };
        listener.resume().await;
        listener
    }

    /// `GATEHOUSE_SMTP_URL` for it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops listening: connections are refused until [`resume`](Self::resume).
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    pub async fn resume(&mut self) {
        let listener = loop {
            // The port of an aborted listener may take a moment to be free again.
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let inbox = self.inbox.clone();
        self.server = Some(tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, inbox.clone()));
            }
        }));
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.messages.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `count` messages to `to` have arrived; returns them.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self.inbox.arrived.notified();
            let mine: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .collect();
            if mine.len() >= count {
                return mine;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{count} mail(s) to {to} did not arrive; got {}", mine.len());
            }
        }
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.stop();
    }
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg[start..end].to_owned()
}

async fn session(socket: tokio::net::TcpStream, inbox: Arc<Inbox>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let reply = async |write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| {
        let _ = write.write_all(format!("{text}\r\n").as_bytes()).await;
    };
    reply(&mut write, "220 gatehouse-tests ESMTP").await;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            reply(&mut write, "250 gatehouse-tests").await;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line[10..]);
            to.clear();
            reply(&mut write, "250 OK").await;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&line[8..]));
            reply(&mut write, "250 OK").await;
        } else if upper == "DATA" {
            reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                // RFC 5321 §4.5.2: a leading dot was doubled by the sender.
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
                data.push_str("\r\n");
            }
            inbox.messages.lock().unwrap().push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            inbox.arrived.notify_waiters();
            reply(&mut write, "250 OK: queued").await;
        } else if upper == "RSET" || upper == "NOOP" {
            reply(&mut write, "250 OK").await;
        } else if upper == "QUIT" {
            reply(&mut write, "221 Bye").await;
            break;
        } else {
            reply(&mut write, "502 Command not implemented").await;
        }
    }
}
