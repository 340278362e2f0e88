// Owned by the feed work: SubscriptionRepository (collection feed_subscriptions).
export {};
