//! Why a purchase was refused, and the codes of every error a request can get.

wire_enum! {
    /// Why a purchase was refused.
    pub enum Refusal {
        /// No units left.
        SoldOut = "sold_out",
        /// Fewer units left than asked for (`remaining` says how many).
        NotEnoughStock = "not_enough_stock",
        /// The resident would pass the per-resident limit.
        LimitReached = "limit_reached",
        /// The deal is not on sale (ended or out of its time window).
        DealClosed = "deal_closed",
    }
}

wire_enum! {
    /// Stable error codes in [`ServerMsg::Error`] frames and HTTP error bodies.
    pub enum ErrorCode {
        /// The frame is not JSON, or not a JSON object, or binary.
        MalformedFrame = "malformed_frame",
        /// The frame's `type` is not a message this server knows.
        UnknownMessage = "unknown_message",
        /// A known message with missing, extra or mistyped fields.
        InvalidMessage = "invalid_message",
        /// The frame is larger than [`MAX_FRAME_BYTES`].
        FrameTooLarge = "frame_too_large",
        /// The action needs a sign-in first.
        NotSignedIn = "not_signed_in",
        /// The signed-in role may not do this.
        Forbidden = "forbidden",
        /// The token is unknown or revoked.
        InvalidToken = "invalid_token",
        /// The action needs a `Join` first.
        NotJoined = "not_joined",
        /// No such HTTP route.
        NotFound = "not_found",
        /// No such show.
        UnknownShow = "unknown_show",
        /// No such deal in the joined show.
        UnknownDeal = "unknown_deal",
        /// No such product in the joined show.
        UnknownProduct = "unknown_product",
        /// No such pickup point for the joined show.
        UnknownPickup = "unknown_pickup",
        /// No such order in the joined show.
        UnknownOrder = "unknown_order",
        /// The order was already cancelled or picked up.
        NotCancellable = "not_cancellable",
        /// Quantity must be at least 1.
        InvalidQuantity = "invalid_quantity",
        /// The purchase key is empty or too long.
        InvalidKey = "invalid_key",
        /// A nickname must be 1–24 characters.
        InvalidNickname = "invalid_nickname",
        /// A phone number must be a mainland China mobile number.
        InvalidPhone = "invalid_phone",
        /// A community must be 1–40 characters.
        InvalidCommunity = "invalid_community",
        /// Deal fields out of range (price, stock, limit, start or end time), or the deal has ended.
        InvalidDeal = "invalid_deal",
        /// A product field is not acceptable (the message names it).
        InvalidProduct = "invalid_product",
        /// A pickup point field is not acceptable (the message names it).
        InvalidPickup = "invalid_pickup",
        /// The product or pickup point is still used by a deal, an order or a lucky bag.
        InUse = "in_use",
        /// An uploaded picture is not a PNG, JPEG, WebP or GIF image.
        InvalidPicture = "invalid_picture",
        /// An uploaded picture is larger than [`crate::catalogue::MAX_PICTURE_BYTES`].
        PictureTooLarge = "picture_too_large",
        /// Lucky-bag fields out of range (prize, winners, closing time, pickup point).
        InvalidBag = "invalid_bag",
        /// No such lucky bag in the joined show.
        UnknownBag = "unknown_bag",
        /// The show already has an open lucky bag.
        BagAlreadyOpen = "bag_already_open",
        /// The bag no longer takes entries.
        BagClosed = "bag_closed",
        /// This resident may not enter this bag (it is for residents who ordered in this show).
        NotEligible = "not_eligible",
        /// The server is shutting down or overloaded; retry shortly.
        Unavailable = "unavailable",
        /// Something failed on the server; the request was not carried out.
        Internal = "internal",
        /// The server cannot save anything just now (its disk is full or failing, or the database
        /// file is read-only or gone), so the request was not carried out; reads still work.
        /// Retryable: try again shortly, an order with the same key. `/api/health` says why.
        StoreUnavailable = "store_unavailable",
        /// A cancellation's reason is over 100 characters or holds line breaks or control characters.
        InvalidReason = "invalid_reason",
        /// The sign-in code is not the one sent (the message says how many tries are left).
        WrongCode = "wrong_code",
        /// No code is waiting for this number: it expired, was used, took too many wrong tries, or was
        /// never asked for. Sign in again without a code to get a new one.
        CodeExpired = "code_expired",
        /// Too many codes or tries, for this number or on this connection; the message says when to try
        /// again.
        TooManyRequests = "too_many_requests",
        /// The text message with the code could not be sent; try again shortly.
        SmsFailed = "sms_failed",
        /// No such community.
        UnknownCommunity = "unknown_community",
        /// No such staff person in the community.
        UnknownStaff = "unknown_staff",
        /// A show's field is not acceptable (title, start in the past or over a year ahead, stream
        /// address); the message names it.
        InvalidShow = "invalid_show",
        /// The show has ended or was cancelled: nothing more can be launched, opened or changed in it.
        ShowClosed = "show_closed",
        /// The show cannot go there from where it is (only a scheduled show starts or is cancelled,
        /// only a live one ends).
        InvalidStatusChange = "invalid_status_change",
        /// A staff person's field is not acceptable (name, roles, pickup points); the message names it.
        InvalidStaff = "invalid_staff",
        /// Someone else in the community already has that name.
        DuplicateName = "duplicate_name",
        /// No such invite link (mistyped, or not made here).
        UnknownInvite = "unknown_invite",
        /// The invite link was used already: links work once. Ask the manager for a new one.
        InviteUsed = "invite_used",
        /// The invite link is past its time (7 days). Ask the manager for a new one.
        InviteExpired = "invite_expired",
        /// The change would leave the community without a manager.
        LastManager = "last_manager",
        /// Staff stopped this resident from ordering and entering lucky bags in this community, for
        /// a time or until lifted; the message gives their reason.
        Muted = "muted",
        /// No such mute in this community (or it was lifted already).
        UnknownMute = "unknown_mute",
        /// No such resident in this community.
        UnknownResident = "unknown_resident",
        /// The order changed since the page showed it (another member of staff, or the resident):
        /// nothing was done; look at it again.
        OrderChanged = "order_changed",
        /// (HTTP only) Staff registering a neighbour: this number belongs to a resident of another
        /// community.
        ResidentElsewhere = "resident_elsewhere",
        /// (HTTP only) Staff ordering for a neighbour: the deal's desk refused it (the answer's
        /// `reason`, `remaining` and `held` say why).
        Refused = "refused",
        /// (HTTP only) A scanned or typed pickup code is not one this server made: misread, altered
        /// or made up. Nothing was looked up.
        ForgedCode = "forged_code",
        /// (HTTP only) The order is collected at another pickup point; the answer's `store` names it.
        WrongStore = "wrong_store",
        /// (HTTP only) The order was handed over already (or more units asked for than are still to
        /// hand over); the answer's `at` and `by` say when and by whom.
        AlreadyHandedOver = "already_handed_over",
        /// (HTTP only) The order cannot be handed over or made ready: it was cancelled or not
        /// collected in time; the message says which.
        OrderClosed = "order_closed",
        /// (HTTP only) A hand-over is undone within an hour of it only; this one is older.
        UndoWindowPassed = "undo_window_passed",
        /// (HTTP only) A picking list's cut-off is not acceptable: in the past, or the list was
        /// frozen already; the message says which.
        InvalidCutoff = "invalid_cutoff",
        /// (HTTP only) A pickup window is 1 to 30 days.
        InvalidPickupDays = "invalid_pickup_days",
        /// This session was ended: the person or one of their roles was revoked. Sent before the
        /// server closes the connection; sign in again (their remaining roles still work).
        SessionRevoked = "session_revoked",
        /// (HTTP only) The request is not a well-formed HTTP request, or not a WebSocket handshake at
        /// a WebSocket address.
        BadRequest = "bad_request",
        /// (HTTP only) The route exists, but not for this method.
        MethodNotAllowed = "method_not_allowed",
        /// (HTTP only) The request's body did not arrive in time.
        RequestTimeout = "request_timeout",
        /// (HTTP only) The request's address is too long.
        UriTooLong = "uri_too_long",
        /// (HTTP only) The request's header fields are too large.
        HeadersTooLarge = "headers_too_large",
    }
}
