//! The interface's two languages, Japanese and English: every sentence the viewer's page says, side by side, and the
//! locale's ways of writing prices, times and counts.
//!
//! Components read the texts through [`crate::preferences::use_texts`], a signal, so switching the language rewrites
//! the page in place (the video keeps playing). Show and product titles are content, not interface: they are shown
//! as the shop wrote them.

use crate::{
    api::refusal::{Denial, Refusal, RefusalCode},
    format::{format_price, group_thousands},
};

/// A language of the interface. Japanese is the site's own; English is for everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Ja,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    /// The BCP 47 tag: `lang` attributes, the cookie, `?lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Locale::Ja => "日本語",
            Locale::En => "English",
        }
    }

    /// The locale a language tag asks for: `ja`, `ja-JP`, `EN-us`…; `None` for other languages.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Self::ALL
            .into_iter()
            .find(|locale| primary.eq_ignore_ascii_case(locale.tag()))
    }

    /// The best locale for an `Accept-Language` header (RFC 9110 §12.5.4): the one with the highest weight, the
    /// earlier on a tie. No header: Japanese, the site's language; a header naming neither: English, the one more
    /// readers share.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language.filter(|h| !h.trim().is_empty()) else {
            return Locale::Ja;
        };
        let mut best: Option<(Locale, u32)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let Some(locale) = parts.next().and_then(Self::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .map_or(1000, parse_weight);
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((locale, weight));
            }
        }
        best.map_or(Locale::En, |(locale, _)| locale)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::Ja => &JA,
            Locale::En => &EN,
        }
    }
}

/// A `q` value in thousandths (`0.8` → 800); malformed ones count as 0 (not acceptable).
fn parse_weight(q: &str) -> u32 {
    let q = q.trim();
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if !matches!(whole, "0" | "1") || fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u32>().unwrap_or(0);
    (whole.parse::<u32>().unwrap_or(0) * 1000 + thousandths).min(1000)
}

/// Declares [`Texts`] and its two tables from `key: "日本語", "English";` lines, so each sentence's translations sit
/// together and neither language can miss one.
macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident: $ja:expr, $en:expr;)*) => {
        /// The fixed texts of one locale; sentences with numbers or names in them are methods.
        #[derive(Debug)]
        pub struct Texts {
            pub locale: Locale,
            $($(#[$doc])* pub $key: &'static str,)*
        }

        static JA: Texts = Texts { locale: Locale::Ja, $($key: $ja,)* };
        static EN: Texts = Texts { locale: Locale::En, $($key: $en,)* };

        #[cfg(test)]
        const KEYS: &[&str] = &[$(stringify!($key)),*];
    };
}

texts! {
    // The page and its frame.
    brand_home: "Caravan ホーム", "Caravan home";
    status_live: "LIVE", "LIVE";
    status_upcoming: "配信予定", "Upcoming";
    status_ended: "配信終了", "Ended";
    loading_show: "番組を読み込んでいます…", "Loading the show…";
    live_show: "ライブ配信", "Live show";
    reconnecting: "再接続しています…", "Reconnecting…";
    error_title: "問題が発生しました", "Something went wrong";
    try_again: "もう一度試す", "Try again";
    not_found: "見つかりません", "Not found";
    not_found_text: "このアドレスの番組はありません。終了したか、移動した可能性があります。",
        "There is no show at this address. It may have ended or moved.";
    go_to_show: "配信中の番組へ", "Go to the show on air";
    nothing_on_air: "現在配信中の番組はありません。", "No show is on air right now.";
    /// Without JavaScript, in place of the video.
    needs_javascript: "動画の視聴には JavaScript が必要です。ブラウザの設定で JavaScript をオンにすると、このページで番組を見ながら買い物できます。",
        "Watching needs JavaScript. Turn it on in your browser's settings to watch the show and shop on this page.";
    preferences: "表示の設定", "Display settings";
    language: "言語", "Language";
    light_theme: "ライト表示", "Light theme";

    // The shop and the feed.
    shop_and_feed: "ショップとフィード", "Shop and feed";
    tab_shop: "ショップ", "Shop";
    tab_feed: "フィード", "Feed";
    products: "商品", "Products";
    nothing_on_sale: "この番組で販売中の商品はありません。", "Nothing is on sale in this show.";
    previous_products: "前の商品", "Previous products";
    showing_product: "表示中の商品 ", "Showing product ";
    next_products: "次の商品", "Next products";
    tax_included: "(税込)", "(tax incl.)";
    sold_out: "売り切れ", "Sold out";
    on_air: "紹介中", "On air";
    jump_to_moment: "紹介シーンを再生", "Jump to when this was on";
    add_to_cart: "カートに入れる", "Add to cart";
    pick_up: "PICK UP", "PICK UP";
    pickup_region: "ピックアップ", "Pick up";
    pickup_waiting: "番組中に紹介する商品がここに表示されます。", "Products picked up during the show appear here.";
    view_product: "見る", "View";
    likes: "いいね", "Likes";
    like_the_show: "番組にいいねする", "Like the show";
    feed_region: "番組についての投稿", "Posts about the show";
    feed_empty: "まだ投稿はありません。番組のハッシュタグが付いた投稿がここに表示されます。",
        "No posts yet. Posts with the show's hashtag appear here.";
    just_now: "たった今", "just now";
    on_x: "X から", "on X";
    on_mastodon: "Mastodon から", "on Mastodon";
    from_the_show: "番組から", "from the show";

    // The cart and the checkout.
    cart: "カート", "Cart";
    close_cart: "カートを閉じる", "Close the cart";
    cart_empty: "カートは空です。", "Your cart is empty.";
    total_tax_included: "合計(税込)", "Total (tax included)";
    of_which_tax: "うち消費税", "of which consumption tax";
    one_less: "1つ減らす", "One less";
    one_more: "1つ増やす", "One more";
    remove: "削除", "Remove";
    receipt_email: "領収書の送り先メールアドレス(任意)", "E-mail for the receipt (optional)";
    placing_order: "注文しています…", "Placing the order…";
    place_order: "注文する", "Place order";
    test_payment: "テスト決済", "Test payment";
    test_mode: "テストモード", "Test mode";
    test_mode_text: " — このショップはローカルのテスト決済で動いています。お金は動きません。",
        " — this shop runs the local test provider: no money moves.";
    decline_test_card: "拒否する(テストカード)", "Decline (test card)";
    thank_you: "ありがとうございます!", "Thank you!";
    continue_shopping: "買い物を続ける", "Continue shopping";
    /// Before an order's id.
    order_label: "注文 ", "Order ";
    /// After "Order <id> · <amount>": it is paid at the shop, in a new tab.
    ready_at_shop: " の準備ができました。新しいタブでショップのレジからお支払いください。番組はこのまま再生されます。",
        " is ready. You pay at the shop's checkout, in a new tab: the show keeps playing here.";
    pay_at_the_shop: "ショップで支払う", "Pay at the shop";
    pay_at_shop_checkout: "ショップのレジで支払う ↗", "Pay at the shop's checkout ↗";
    hint_price_changed: "カートは新しい価格になっています。確認して、もう一度注文してください。",
        "The cart shows the new price; check it and order again.";
    hint_sold_out: "削除するか数量を減らして、もう一度注文してください。",
        "Remove it, or lower the quantity, and order again.";
    test_card_declined: "テストカードは拒否されました。請求はありません。カートはそのままです。",
        "The test card was declined. Nothing was charged; your cart is still here.";
    queued_for_checkout: "レジの順番待ちをしています。順番が来ると、この注文はそのまま送信されます。",
        "You are in line for checkout. When your turn comes, this order is placed by itself.";
    leave_queue: "順番待ちをやめる", "Leave the line";
    waiting_room_title: "レジの順番待ち", "In line for checkout";
    taking_number: "整理券を取っています…", "Taking a number…";
    your_number: "あなたの番号", "Your number";
    now_serving: "案内中の番号", "Now serving";
    ahead_of_you: "あなたの前", "Ahead of you";
    waiting_in_all: "待っている人", "Waiting in all";
    waiting_room_note: "番組はこのまま再生されます。順番が来ると自動で注文に進みます。",
        "The show keeps playing. Your order goes ahead by itself when your turn comes.";
    place_lapsed: "順番の有効期限が切れました。もう一度整理券を取ってください。",
        "Your place in line has lapsed. Take a new number to order.";
    queue_unreachable: "順番待ちに接続できませんでした。もう一度お試しください。",
        "The line could not be reached. Try again.";
    take_new_number: "整理券を取り直す", "Take a new number";
    card_payment: "カード決済", "Card payment";
    loading_card_form: "カード入力欄を読み込んでいます…", "Loading the card form…";
    stripe_accepted: "Stripe が支払いを受け付けました。注文を確認しています…(領収書はメールで届きます)",
        "Stripe has accepted the payment; confirming your order… (a receipt follows by e-mail)";

    // The player.
    video_player: "動画プレーヤー", "Video player";
    show_has_ended: "この番組は終了しました。", "This show has ended.";
    video_unavailable: "この番組の動画はありません。", "The video of this show is not available.";
    show_starting: "まもなく配信が始まります。", "The show will start in a moment.";
    back_in_a_moment: "まもなく再開します", "We'll be right back";
    back_in_a_moment_note: "配信が一時的に途切れています。このままお待ちください。",
        "The broadcast dropped for a moment. Stay here: it carries on by itself.";
    player_controls: "プレーヤーの操作", "Player controls";
    quality: "画質", "Quality";
    play: "再生", "Play";
    pause: "一時停止", "Pause";
    mute: "ミュート", "Mute";
    unmute: "ミュート解除", "Unmute";
    full_screen: "全画面", "Full screen";
    exit_full_screen: "全画面を終了", "Exit full screen";
    seek: "再生位置", "Seek";
    volume: "音量", "Volume";
    back_to_live: "ライブに戻る", "Back to live";
    captions: "字幕", "Captions";
    captions_shortcut: "字幕 (c)", "Captions (c)";
    quality_auto: "自動", "Auto";
    starts_in: "配信開始まで", "The show starts in";
    loading_video: "動画を読み込んでいます", "Loading the video";
    terms_note: "視聴すると、この番組の視聴規約に同意したことになります。",
        "Watching means you accept this show's terms of viewing.";
    accept_terms: "規約に同意して視聴する", "Accept the terms and watch";
    viewer_code: "視聴者コード: ", "Your viewer code: ";
    have_ticket: "チケットをお持ちの方: もう一度試す", "I have a ticket: try again";
    sign_in_member: "会員としてログイン", "Sign in as a member";
    cannot_start: "動画を開始できません: ", "The video cannot be started: ";
    retry_now: "今すぐ再試行", "Retry now";
    unsupported_browser: "このブラウザでは動画を再生できません。最新の Chrome、Edge、Firefox、Safari をお試しください。",
        "This browser cannot play the video. Try a current version of Chrome, Edge, Firefox or Safari.";
    video_unreachable: "動画に接続できません。", "The video cannot be reached.";
    video_unplayable: "動画を再生できません。", "The video cannot be played.";
    video_stalled: "動画が止まっています。", "The video has stopped.";
    keep_trying: " 接続を試み続けており、戻り次第自動で再開します。",
        " We keep trying, and the show resumes by itself when it is back.";
    watch_again: "もう一度見る", "Watch again";
    live_stream_ended: "ライブ配信は終了しました。", "The live stream has ended.";
    tap_to_unmute: "タップして音声をオン", "Tap to unmute";
}

impl Texts {
    /// A price as this locale writes it: yen in Japanese as "3,300円", everything else with its symbol ("¥3,300",
    /// "$12.34").
    pub fn price(&self, minor_units: i64, currency: &str) -> String {
        match (self.locale, currency) {
            (Locale::Ja, "JPY") => {
                let sign = if minor_units < 0 { "-" } else { "" };
                format!("{sign}{}円", group_thousands(minor_units.unsigned_abs()))
            }
            _ => format_price(minor_units, currency),
        }
    }

    /// How long ago, from seconds: "たった今", "5分前"; "just now", "5 min".
    pub fn age(&self, seconds: i64) -> String {
        let seconds = seconds.max(0);
        if seconds < 60 {
            return self.just_now.to_owned();
        }
        let (count, ja, en) = match seconds {
            60..3600 => (seconds / 60, "分前", "min"),
            3600..86_400 => (seconds / 3600, "時間前", "h"),
            _ => (seconds / 86_400, "日前", "d"),
        };
        match self.locale {
            Locale::Ja => format!("{count}{ja}"),
            Locale::En => format!("{count} {en}"),
        }
    }

    /// A calendar time given as its parts (in whichever zone the caller chose, named by `zone`):
    /// "2026年11月29日 14:10 UTC", "Nov 29, 2026, 14:10 UTC".
    pub fn date_time(&self, (year, month, day): (i64, u32, u32), (hour, minute): (u32, u32), zone: &str) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        match self.locale {
            Locale::Ja => format!("{year}年{month}月{day}日 {hour:02}:{minute:02} {zone}"),
            Locale::En => {
                let name = MONTHS[(month.clamp(1, 12) - 1) as usize];
                format!("{name} {day}, {year}, {hour:02}:{minute:02} {zone}")
            }
        }
    }

    /// Days and a clock until the start: "3日 04:05:06", "3d 04:05:06".
    pub fn days_and_clock(&self, days: i64, clock: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{days}日 {clock}"),
            Locale::En => format!("{days}d {clock}"),
        }
    }

    pub fn new_posts(&self, count: usize) -> String {
        match (self.locale, count) {
            (Locale::Ja, n) => format!("新しい投稿 {n}件"),
            (Locale::En, 1) => "1 new post".to_owned(),
            (Locale::En, n) => format!("{n} new posts"),
        }
    }

    pub fn products_count(&self, count: usize) -> String {
        match self.locale {
            Locale::Ja => format!("商品 {count}点"),
            Locale::En => format!("{count} products"),
        }
    }

    /// "3 / 12", "3 of 12": a slide's place, a playback position.
    pub fn position(&self, at: impl std::fmt::Display, of: impl std::fmt::Display) -> String {
        match self.locale {
            Locale::Ja => format!("{at} / {of}"),
            Locale::En => format!("{at} of {of}"),
        }
    }

    pub fn includes_tax(&self, rate: &str) -> String {
        match self.locale {
            Locale::Ja => format!("消費税{rate}を含む"),
            Locale::En => format!("Includes {rate} consumption tax"),
        }
    }

    pub fn choose_variant(&self, title: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{title}の種類を選ぶ"),
            Locale::En => format!("Choose a variant of {title}"),
        }
    }

    pub fn variant_sold_out(&self, variant: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{variant}(売り切れ)"),
            Locale::En => format!("{variant} — sold out"),
        }
    }

    /// The accessible name of "Add to cart", which begins with its visible text (WCAG 2.5.3).
    pub fn add_to_cart_label(&self, title: &str, in_cart: i64) -> String {
        match (self.locale, in_cart) {
            (Locale::Ja, 0) => format!("カートに入れる: {title}"),
            (Locale::Ja, n) => format!("カートに入れる: {title}(カートに{n}点)"),
            (Locale::En, 0) => format!("Add to cart: {title}"),
            (Locale::En, n) => format!("Add to cart: {title} ({n} in cart)"),
        }
    }

    pub fn quantity_of(&self, title: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{title}の数量"),
            Locale::En => format!("Quantity of {title}"),
        }
    }

    pub fn remove_item(&self, title: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{title}を削除"),
            Locale::En => format!("Remove {title}"),
        }
    }

    pub fn items(&self, count: i64) -> String {
        match self.locale {
            Locale::Ja => format!("{count}点"),
            Locale::En => format!("{count} items"),
        }
    }

    pub fn pay_test(&self, amount: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{amount}を支払う(テスト)"),
            Locale::En => format!("Pay {amount} (test)"),
        }
    }

    pub fn pay(&self, amount: &str) -> String {
        match self.locale {
            Locale::Ja => format!("{amount}を支払う"),
            Locale::En => format!("Pay {amount}"),
        }
    }

    /// After "Order <id>": the order is paid.
    pub fn is_paid(&self, amount: &str) -> String {
        match self.locale {
            Locale::Ja => format!(" のお支払い({amount})が完了しました。"),
            Locale::En => format!(" is paid: {amount}."),
        }
    }

    pub fn payment_form_missing(&self, order: &str, provider: &str) -> String {
        match self.locale {
            Locale::Ja => format!(
                "注文 {order} は {provider} での支払いを待っていますが、このページはまだその支払い画面を表示できません。"
            ),
            Locale::En => format!(
                "Order {order} is waiting for payment through {provider}, whose payment form this page does not show yet."
            ),
        }
    }

    pub fn order_not_sent(&self, error: &str) -> String {
        match self.locale {
            Locale::Ja => format!(
                "注文を送信できませんでした({error})。もう一度お試しください。二重に請求されることはありません。"
            ),
            Locale::En => format!("The order could not be sent ({error}). Try again: you will not be charged twice."),
        }
    }

    pub fn payment_not_sent(&self, error: &str) -> String {
        match self.locale {
            Locale::Ja => format!("支払いを送信できませんでした({error})。もう一度お試しください。"),
            Locale::En => format!("The payment could not be sent ({error}). Try again."),
        }
    }

    pub fn quality(&self, current: &str) -> String {
        match self.locale {
            Locale::Ja => format!("画質: {current}"),
            Locale::En => format!("Quality: {current}"),
        }
    }

    pub fn auto_playing(&self, playing: &str) -> String {
        format!("{} ({playing})", self.quality_auto)
    }

    pub fn open_in_new_tab(&self, title: &str) -> String {
        match self.locale {
            Locale::Ja => format!("「{title}」を新しいタブで開く"),
            Locale::En => format!("Open \u{201c}{title}\u{201d} in a new tab"),
        }
    }

    /// A refusal of the server, worded in this language from its code (the server's own words are English, for
    /// logs and API clients). `title`: the product a checkout refusal is about, as the shop wrote it.
    pub fn refusal(&self, refusal: &Refusal, title: Option<&str>) -> String {
        let ja = self.locale == Locale::Ja;
        let pick = |ja_text: &str, en_text: &str| if ja { ja_text.to_owned() } else { en_text.to_owned() };
        // A product's sentence: the Japanese after the product's name, the English with `{}` for it (or a sentence
        // of its own when the cart no longer has it).
        let product = |ja_text: &str, en_text: &str, en_unnamed: &str| match (ja, title) {
            (true, Some(title)) => format!("「{title}」{ja_text}"),
            (true, None) => format!("この商品{ja_text}"),
            (false, Some(title)) => en_text.replace("{}", title),
            (false, None) => en_unnamed.to_owned(),
        };
        match refusal.code {
            RefusalCode::BadRequest
            | RefusalCode::UnsupportedMediaType
            | RefusalCode::BadSignature
            | RefusalCode::BadHost
            | RefusalCode::BadPath
            | RefusalCode::CrossOrigin => pick(
                "送信内容を受け付けられませんでした。ページを再読み込みして、もう一度お試しください。",
                "What was sent could not be accepted. Reload the page and try again.",
            ),
            RefusalCode::PayloadTooLarge => pick("送信内容が大きすぎます。", "What was sent is too large."),
            RefusalCode::Unauthorized => pick("サインインが必要です。", "You need to sign in."),
            RefusalCode::Forbidden => pick("この動画を開く権限がありません。", "You may not open this video."),
            RefusalCode::NotEntitled => match refusal.reason {
                Some(Denial::Terms) => pick(
                    "この番組を見るには利用規約への同意が必要です。",
                    "Accept the terms of this show to watch it.",
                ),
                Some(Denial::Expired) => pick(
                    "この番組の視聴期間は終了しました。",
                    "Your access to this show has ended.",
                ),
                Some(Denial::Plan) => pick(
                    "この番組は会員向けです。対象のプランの会員としてサインインしてください。",
                    "This show is for members. Sign in with a membership that includes it.",
                ),
                Some(Denial::Entitlement) | None => {
                    pick("この番組の視聴にはチケットが必要です。", "This show needs a ticket.")
                }
            },
            RefusalCode::NotFound => pick("見つかりません。", "Not found."),
            RefusalCode::RateLimited => pick(
                "操作が多すぎます。少し待ってから、もう一度お試しください。",
                "Too many tries. Wait a moment and try again.",
            ),
            RefusalCode::NotConfigured => pick(
                "この機能はこのサイトでは使えません。",
                "This is not available on this site.",
            ),
            RefusalCode::BadGateway
            | RefusalCode::GatewayTimeout
            | RefusalCode::Unavailable
            | RefusalCode::Internal => pick(
                "サーバーが応答できませんでした。もう一度お試しください。",
                "The server could not answer. Try again.",
            ),
            RefusalCode::SoldOut => product("は売り切れました。", "{} is sold out.", "This product is sold out."),
            RefusalCode::PriceChanged => product(
                "の価格が変わりました。",
                "The price of {} has changed.",
                "This product's price has changed.",
            ),
            RefusalCode::TooManyOpenOrders => {
                let open = refusal.open.unwrap_or(1);
                if ja {
                    format!(
                        "お支払い待ちの注文が{open}件あります。いずれかをお支払いいただくか、期限が切れてからもう一度お試しください。"
                    )
                } else {
                    format!(
                        "{open} of your orders are waiting for payment. Pay one of them, or try again once they have expired."
                    )
                }
            }
            RefusalCode::IdempotencyKeyReused => pick(
                "この注文は別の内容ですでに送信されています。もう一度注文してください。",
                "This order was already sent with other contents. Place it again.",
            ),
            RefusalCode::PaymentUnavailable => pick(
                "お支払いを開始できませんでした。請求はありません。もう一度お試しください。",
                "The payment could not be started. Nothing was charged; please try again.",
            ),
            RefusalCode::OrderState => pick(
                "この注文はすでに処理されています。",
                "This order has already been handled.",
            ),
            RefusalCode::WaitingRoom => pick(
                "レジは順番待ちです。順番をお待ちください。",
                "Checkout has a line: wait for your turn.",
            ),
            RefusalCode::NotArmed => pick(
                "いまは順番待ちはありません。そのまま注文できます。",
                "There is no line now: go straight to checkout.",
            ),
            RefusalCode::NotYet => pick("まだ順番ではありません。", "Your turn has not come yet."),
            RefusalCode::Completed => pick(
                "この順番はすでに注文に使われました。",
                "This place was used for an order.",
            ),
            RefusalCode::Expired => self.place_lapsed.to_owned(),
            // A code newer than this page: the server's words are all there is.
            RefusalCode::Unknown => refusal.message.clone(),
        }
    }

    /// The switch to another language, in that language (so a reader who cannot read this one finds it).
    pub fn switch_to(&self, other: Locale) -> &'static str {
        match other {
            Locale::Ja => "日本語で表示",
            Locale::En => "Show in English",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_most_wanted_of_ours() {
        assert_eq!(Locale::negotiate(None), Locale::Ja);
        assert_eq!(Locale::negotiate(Some("")), Locale::Ja);
        assert_eq!(Locale::negotiate(Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ja-JP,ja;q=0.9,en-US;q=0.8")), Locale::Ja);
        assert_eq!(Locale::negotiate(Some("fr-FR, en;q=0.5, ja;q=0.7")), Locale::Ja);
        assert_eq!(Locale::negotiate(Some("de, fr;q=0.9")), Locale::En);
        // q=0 means "not this"; a malformed weight counts for nothing; case does not matter.
        assert_eq!(Locale::negotiate(Some("ja;q=0, en;q=0.1")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ja;q=abc, EN-gb;Q=0.2")), Locale::En);
        // Equal weights: the earlier wins.
        assert_eq!(Locale::negotiate(Some("en, ja")), Locale::En);
        assert_eq!(Locale::negotiate(Some("*, ja;q=0.1")), Locale::Ja);
        // Junk never panics.
        assert_eq!(Locale::negotiate(Some(";;,,;q=")), Locale::En);
        assert_eq!(Locale::negotiate(Some("ja;q=1.0000001")), Locale::En);
    }

    #[test]
    fn tags_name_locales() {
        assert_eq!(Locale::from_tag("ja-JP"), Some(Locale::Ja));
        assert_eq!(Locale::from_tag("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("jav"), None);
        assert_eq!(Locale::from_tag(""), None);
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
    }

    #[test]
    fn every_text_has_both_languages() {
        assert!(KEYS.len() > 90);
        for texts in [&JA, &EN] {
            let debug = format!("{texts:?}");
            assert!(!debug.contains(": \"\""), "an empty text in {:?}", texts.locale);
        }
        // Japanese texts are Japanese (a copied English line is the usual slip): most hold a kana or kanji.
        let japanese = |s: &str| s.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
        assert!(japanese(JA.cart) && japanese(JA.feed_empty) && !japanese(EN.feed_empty));
    }

    #[test]
    fn prices_times_and_counts_per_locale() {
        let (ja, en) = (Locale::Ja.texts(), Locale::En.texts());
        assert_eq!(ja.price(3300, "JPY"), "3,300円");
        assert_eq!(en.price(3300, "JPY"), "¥3,300");
        assert_eq!(ja.price(-1200, "JPY"), "-1,200円");
        assert_eq!(ja.price(123_456, "USD"), "$1,234.56");
        assert_eq!(ja.age(30), "たった今");
        assert_eq!(en.age(301), "5 min");
        assert_eq!(ja.age(7200), "2時間前");
        assert_eq!(en.age(3 * 86_400), "3 d");
        assert_eq!(en.age(-400), "just now", "a clock behind the server's");
        assert_eq!(ja.date_time((2026, 11, 29), (9, 5), "JST"), "2026年11月29日 09:05 JST");
        assert_eq!(en.date_time((2026, 11, 29), (14, 10), "UTC"), "Nov 29, 2026, 14:10 UTC");
        assert_eq!(ja.new_posts(1), "新しい投稿 1件");
        assert_eq!(en.new_posts(1), "1 new post");
        assert_eq!(en.new_posts(3), "3 new posts");
        assert_eq!(en.add_to_cart_label("Tee", 2), "Add to cart: Tee (2 in cart)");
        assert!(ja.add_to_cart_label("T", 0).starts_with(ja.add_to_cart));
        assert_eq!(en.switch_to(Locale::Ja), "日本語で表示");
    }

    #[test]
    fn refusals_are_worded_in_the_viewers_language_from_their_code() {
        let ja = Locale::Ja.texts();
        let en = Locale::En.texts();
        let mut sold_out = Refusal::new(RefusalCode::SoldOut, "Tote is sold out");
        sold_out.product_id = Some("p1".into());
        assert_eq!(ja.refusal(&sold_out, Some("トート")), "「トート」は売り切れました。");
        assert_eq!(en.refusal(&sold_out, Some("Tote")), "Tote is sold out.");
        assert_eq!(en.refusal(&sold_out, None), "This product is sold out.");
        let mut open = Refusal::new(RefusalCode::TooManyOpenOrders, "3 of your orders…");
        open.open = Some(3);
        assert!(ja.refusal(&open, None).contains("3件"));
        let mut terms = Refusal::new(RefusalCode::NotEntitled, "Accept the terms of this show to watch it.");
        terms.reason = Some(Denial::Terms);
        assert_eq!(
            en.refusal(&terms, None),
            terms.message,
            "the English is the server's own"
        );
        assert!(ja.refusal(&terms, None).contains("利用規約"));
        // A code newer than the page: the server's words.
        let newer = Refusal::new(RefusalCode::Unknown, "something new");
        assert_eq!(ja.refusal(&newer, None), "something new");
    }
}
