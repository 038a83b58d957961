//! Configuration values that name one of a few choices, as enums (each parsed by one `match`).

/// The payment gateways a site can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentGateway {
    /// Simulated payments: no set-up, nothing charged.
    Test,
    /// Stripe Checkout (and the Payment Element).
    Stripe,
}

impl PaymentGateway {
    /// The gateway a `payments.gateway` value names.
    pub fn parse(name: &str) -> Option<PaymentGateway> {
        match name {
            "test" => Some(PaymentGateway::Test),
            "stripe" => Some(PaymentGateway::Stripe),
            _ => None,
        }
    }
}

/// How Stripe takes one-time gifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeMode {
    /// On Stripe's own Checkout page.
    Checkout,
    /// On our page, with the embedded Payment Element.
    Elements,
}

impl StripeMode {
    /// The mode a `payments.stripe_mode` value names.
    pub fn parse(name: &str) -> Option<StripeMode> {
        match name {
            "checkout" => Some(StripeMode::Checkout),
            "elements" => Some(StripeMode::Elements),
            _ => None,
        }
    }
}
