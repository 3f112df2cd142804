//! Host actions done once per request key: a double click, or a retry after a dropped connection,
//! gets the first answer again instead of a second deal, restock, product or bag.

use std::future::Future;

use super::Room;
use crate::live::{Frame, LiveError};
use crate::now_ms;

impl Room {
    /// Runs `act`, unless the host request `key` of this show was done already: then its answer,
    /// as first given, is returned again. The room's keyed actions take turns, so the same key sent
    /// on two connections at once runs once. Without a key, `act` simply runs.
    ///
    /// The answer is kept after the action is stored, in a transaction of its own: a server that
    /// dies between the two does the action again when the key is retried.
    pub async fn once<F, Fut>(&self, key: Option<&str>, act: F) -> Result<Frame, LiveError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Frame, LiveError>>,
    {
        let Some(key) = key else {
            return act().await;
        };
        let _turn = self.requests.lock().await;
        if let Some(answer) = self.store.host_answer(self.show, key).await? {
            return Ok(answer.into());
        }
        let answer = act().await?;
        let text = String::from_utf8_lossy(&answer);
        if let Err(e) = self
            .store
            .remember_host_answer(self.show, key, &text, now_ms())
            .await
        {
            // Done, but not kept: the host hears it was done; a retry of the key would redo it.
            tracing::error!(error = %e, "host request done but its answer not kept");
        }
        Ok(answer)
    }
}
