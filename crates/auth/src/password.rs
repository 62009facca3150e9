//! Password hashing (argon2id) on a bounded pool of dedicated threads.
//!
//! A hash costs ~30 ms of CPU and ~19 MiB of memory: it never runs on the async executor.
//! `workers` threads take jobs from a queue of at most `queue` waiting jobs; when the queue
//! is full the caller gets [`AuthError::Overloaded`] at once (503 + `Retry-After`) instead
//! of piling up requests, and a job that has waited longer than `max_wait` by the time a
//! thread is free is refused the same way without being hashed (under a storm the queue
//! drains at a rate no one can predict: a bounded wait turns would-be client timeouts
//! into prompt 503s); a job whose caller has gone is dropped unhashed. Each thread
//! reuses one memory buffer for every hash, so memory is
//! capped at `workers × m_cost` (allocating 19 MiB per hash left the allocator holding
//! ten times that). Hashing threads run at the lowest CPU priority.

use crate::AuthError;
use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
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

/// A hashing thread's own state: the configured parameters and a reusable memory buffer.
pub struct Worker {
    params: Params,
    blocks: Vec<Block>,
}

impl Worker {
    fn new(params: Params) -> Self {
        Self {
            blocks: vec![Block::default(); params.block_count()],
            params,
        }
    }

    /// The raw argon2id output of `password` with `params`, into `out`.
    fn compute(
        &mut self,
        password: &[u8],
        salt: &[u8],
        params: &Params,
        out: &mut [u8],
    ) -> Result<(), AuthError> {
        let needed = params.block_count();
        if self.blocks.len() < needed {
            self.blocks.resize(needed, Block::default());
        }
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password, salt, out, &mut self.blocks[..needed])
            .map_err(|e| AuthError::Internal(e.into()))
    }

    /// A PHC string (`$argon2id$v=19$m=…`) of `password` with the configured parameters and
    /// a fresh 128-bit salt.
    fn hash(&mut self, password: &[u8]) -> Result<String, AuthError> {
        let mut salt = [0u8; 16];
        crate::random::fill(&mut salt);
        let params = self.params.clone();
        let mut out = [0u8; 32];
        self.compute(password, &salt, &params, &mut out)?;
        let internal = |e: argon2::password_hash::Error| AuthError::Internal(e.into());
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(internal)?,
            salt: Some(Salt::new(&salt).map_err(|e| AuthError::Internal(e.into()))?),
            hash: Some(Output::new(&out).map_err(|e| AuthError::Internal(e.into()))?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches `stored` (argon2id v19 only), with the parameters
    /// recorded in it, compared in constant time.
    fn verify(&mut self, password: &[u8], stored: &PasswordHash) -> Result<bool, AuthError> {
        if stored.algorithm != argon2::ARGON2ID_IDENT
            || stored
                .version
                .is_some_and(|v| v != u32::from(Version::V0x13))
        {
            return Ok(false);
        }
        let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
            return Ok(false);
        };
        let Ok(params) = Params::try_from(stored) else {
            return Ok(false);
        };
        let mut out = vec![0u8; expected.len()];
        self.compute(password, salt.as_ref(), &params, &mut out)?;
        Ok(out.ct_eq(expected.as_bytes()).into())
    }
}

/// Runs with a worker, or with `None` to refuse.
type Task = Box<dyn FnOnce(Option<&mut Worker>) + Send>;

struct Job {
    /// Refused unhashed when a thread picks it up after this instant.
    deadline: Option<Instant>,
    task: Task,
}

#[derive(Clone)]
pub struct PasswordHasherPool {
    sender: SyncSender<Job>,
    params: HashParams,
    max_wait: Option<Duration>,
    /// A hash of a random password, verified when the email is unknown so that the
    /// response time does not tell which emails exist.
    dummy_hash: Arc<String>,
}

impl PasswordHasherPool {
    pub fn new(params: HashParams, workers: usize, queue: usize) -> Result<Self, AuthError> {
        let argon_params = argon2_params(params)?;
        let dummy_hash =
            Worker::new(argon_params.clone()).hash(crate::random::token(32).as_bytes())?;
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers.max(1) {
            let receiver = receiver.clone();
            let params = argon_params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || worker(receiver, Worker::new(params)))
                .map_err(|e| AuthError::Internal(e.into()))?;
        }
        Ok(Self {
            sender,
            params,
            max_wait: None,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// Refuse (with [`AuthError::Overloaded`]) a job still waiting after `max_wait`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Worker) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let (tx, rx) = oneshot::channel();
        let job = Job {
            deadline: self
                .max_wait
                .and_then(|wait| Instant::now().checked_add(wait)),
            task: Box::new(move |worker| {
                // The caller has gone (client disconnected): no one wants this hash.
                if tx.is_closed() {
                    return;
                }
                let _ = tx.send(match worker {
                    Some(worker) => Ok(job(worker)),
                    None => Err(AuthError::Overloaded),
                });
            }),
        };
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(AuthError::Overloaded),
            Err(TrySendError::Disconnected(_)) => {
                return Err(AuthError::Internal("hashing pool stopped".into()));
            }
        }
        rx.await
            .map_err(|_| AuthError::Internal("hashing job dropped".into()))?
    }

    /// A PHC string of `password` with the configured parameters.
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        self.run(move |worker| worker.hash(password.expose_secret().as_bytes()))
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
        self.run(move |worker| {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(Verification::Invalid);
            };
            if !worker.verify(password.expose_secret().as_bytes(), &parsed)? || !known {
                return Ok(Verification::Invalid);
            }
            let current = Params::try_from(&parsed).ok().map(|p| HashParams {
                memory_kib: p.m_cost(),
                iterations: p.t_cost(),
                parallelism: p.p_cost(),
            });
            if current == Some(params) {
                return Ok(Verification::Valid);
            }
            worker
                .hash(password.expose_secret().as_bytes())
                .map(Verification::ValidRehashed)
        })
        .await?
    }
}

fn argon2_params(params: HashParams) -> Result<Params, AuthError> {
    Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| AuthError::Internal(format!("invalid argon2 parameters: {e}").into()))
}

fn worker(receiver: Arc<Mutex<Receiver<Job>>>, mut state: Worker) {
    // Lowest CPU priority (niceness 19): under a login storm the scheduler serves requests
    // first and hashes with what is left, so reads keep their latency. Best effort: where
    // the OS refuses, hashing runs at normal priority.
    if let Err(error) =
        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
    {
        tracing::debug!(?error, "could not lower the hashing thread's priority");
    }
    loop {
        let job = {
            let Ok(guard) = receiver.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let expired = job
            .deadline
            .is_some_and(|deadline| Instant::now() > deadline);
        (job.task)((!expired).then_some(&mut state));
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
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let pool = PasswordHasherPool::new(LIGHT, 1, 4).unwrap();
        let ours = pool.hash(secret("correct horse")).await.unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            argon2_params(LIGHT).unwrap(),
        );
        assert!(
            reference
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        let theirs = reference
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert_eq!(
            pool.verify(secret("correct horse"), Some(theirs.clone()))
                .await
                .unwrap(),
            Verification::Valid
        );
        assert_eq!(
            pool.verify(secret("wrong horse"), Some(theirs))
                .await
                .unwrap(),
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
        let results = start_all_then_await(jobs).await;
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(AuthError::Overloaded)))
        );
        assert!(results.iter().any(|r| r.is_ok()));
    }

    #[tokio::test]
    async fn a_job_that_waited_too_long_is_refused_unhashed() {
        let pool = PasswordHasherPool::new(LIGHT, 1, 16)
            .unwrap()
            .with_max_wait(Duration::from_millis(10));
        // Hold the only thread until the queued job's deadline has surely passed.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move |_| held.recv().is_ok()).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued = tokio::spawn({
            let pool = pool.clone();
            async move { pool.hash(secret("x")).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).unwrap();
        assert!(blocker.await.unwrap().unwrap());
        assert!(matches!(queued.await.unwrap(), Err(AuthError::Overloaded)));
        // A job that does not wait is hashed.
        assert!(pool.hash(secret("y")).await.is_ok());
    }

    /// Polls every future once (so every job is submitted) before awaiting any.
    async fn start_all_then_await<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut out = Vec::new();
        let mut started = Vec::new();
        for mut f in futures.into_iter().map(Box::pin) {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
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
