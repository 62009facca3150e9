//! Password hashing (argon2id) on a bounded pool of dedicated threads.
//!
//! A hash costs ~30 ms of CPU and ~19 MiB of memory: it never runs on the async executor.
//! `workers` threads take jobs from a queue of at most `queue` waiting jobs; when the queue
//! is full the caller gets [`AuthError::Overloaded`] at once (503 + `Retry-After`) instead
//! of piling up requests. Memory is capped at `workers × m_cost`.

use crate::AuthError;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    Valid,
    /// Valid, but hashed with other parameters: store this re-hash.
    ValidRehashed(String),
}

type Job = Box<dyn FnOnce(&Argon2<'static>) + Send>;

#[derive(Clone)]
pub struct PasswordHasherPool {
    sender: SyncSender<Job>,
    params: HashParams,
    /// A hash of a random password, verified when the email is unknown so that the
    /// response time does not tell which emails exist.
    dummy_hash: Arc<String>,
}

impl PasswordHasherPool {
    pub fn new(params: HashParams, workers: usize, queue: usize) -> Result<Self, AuthError> {
        let argon = argon2_for(params)?;
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers.max(1) {
            let receiver = receiver.clone();
            let argon = argon.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || worker(receiver, argon))
                .map_err(|e| AuthError::Internal(e.to_string()))?;
        }
        let dummy_hash = argon
            .hash_password(crate::random::token(32).as_bytes())
            .map_err(|e| AuthError::Internal(e.to_string()))?
            .to_string();
        Ok(Self {
            sender,
            params,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |argon| {
            let _ = tx.send(job(argon));
        });
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(AuthError::Overloaded),
            Err(TrySendError::Disconnected(_)) => {
                return Err(AuthError::Internal("hashing pool stopped".into()));
            }
        }
        rx.await
            .map_err(|_| AuthError::Internal("hashing job dropped".into()))
    }

    /// A PHC string (`$argon2id$v=19$m=…`) of `password` with the configured parameters.
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        self.run(move |argon| {
            argon
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AuthError::Internal(e.to_string()))
        })
        .await?
    }

    /// Verifies `password` against `stored` (or, when `stored` is `None`, against the dummy
    /// hash, so an unknown account costs the same). Re-hashes a valid password whose hash
    /// used other parameters.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<Verification, AuthError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let params = self.params;
        self.run(move |argon| {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(Verification::Invalid);
            };
            // Verify with the parameters recorded in the hash itself.
            if argon
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_err()
                || !known
            {
                return Ok(Verification::Invalid);
            }
            let current = Params::try_from(&parsed).ok().map(|p| HashParams {
                memory_kib: p.m_cost(),
                iterations: p.t_cost(),
                parallelism: p.p_cost(),
            });
            if current == Some(params) && parsed.algorithm.as_str() == "argon2id" {
                return Ok(Verification::Valid);
            }
            argon
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| Verification::ValidRehashed(h.to_string()))
                .map_err(|e| AuthError::Internal(e.to_string()))
        })
        .await?
    }
}

fn argon2_for(params: HashParams) -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| AuthError::Internal(format!("invalid argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn worker(receiver: Arc<Mutex<Receiver<Job>>>, argon: Argon2<'static>) {
    loop {
        let job = {
            let Ok(guard) = receiver.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job(&argon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIGHT: HashParams = HashParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let pool = PasswordHasherPool::new(LIGHT, 1, 4).unwrap();
        let hash = pool.hash(secret("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert_eq!(
            pool.verify(secret("correct horse"), Some(hash.clone()))
                .await
                .unwrap(),
            Verification::Valid
        );
        assert_eq!(
            pool.verify(secret("wrong horse"), Some(hash))
                .await
                .unwrap(),
            Verification::Invalid
        );
        assert_eq!(
            pool.verify(secret("anything"), None).await.unwrap(),
            Verification::Invalid
        );
    }

    #[tokio::test]
    async fn outdated_parameters_are_rehashed() {
        let old = PasswordHasherPool::new(LIGHT, 1, 4).unwrap();
        let hash = old.hash(secret("correct horse")).await.unwrap();
        let stronger = PasswordHasherPool::new(
            HashParams {
                memory_kib: 2048,
                ..LIGHT
            },
            1,
            4,
        )
        .unwrap();
        match stronger
            .verify(secret("correct horse"), Some(hash))
            .await
            .unwrap()
        {
            Verification::ValidRehashed(new) => assert!(new.contains("m=2048")),
            other => panic!("expected a re-hash, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_full_queue_sheds_load() {
        let pool = PasswordHasherPool::new(
            HashParams {
                memory_kib: 8192,
                iterations: 3,
                parallelism: 1,
            },
            1,
            1,
        )
        .unwrap();
        let jobs: Vec<_> = (0..8).map(|_| pool.hash(secret("x"))).collect();
        let results = futures_join(jobs).await;
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(AuthError::Overloaded)))
        );
        assert!(results.iter().any(|r| r.is_ok()));
    }

    async fn futures_join<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut out = Vec::new();
        let pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
        // Start every job before awaiting any: the queue must overflow.
        let mut started = Vec::new();
        for mut f in pinned {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            match f.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(v) => out.push(v),
                std::task::Poll::Pending => started.push(f),
            }
        }
        for f in started {
            out.push(f.await);
        }
        out
    }
}
