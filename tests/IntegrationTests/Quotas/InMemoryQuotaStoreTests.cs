using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Quotas;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>The counters of one instance (no Redis, or Redis down): the same decisions as the Redis store.</summary>
public sealed class InMemoryQuotaStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 30, 15, TimeSpan.Zero);

    [Test]
    public void ShouldRefuseOverEachLimitAndStartAfreshInTheNextMinute()
    {
        var store = new InMemoryQuotaStore();
        var limits = new ClientLimits(2, 500, 0, QuotaPeriod.Daily);

        var first = store.Reserve(new QuotaRequest("client:a", limits, 300), Now);
        var tokens = store.Reserve(new QuotaRequest("client:a", limits, 300), Now);
        var second = store.Reserve(new QuotaRequest("client:a", limits, 100), Now);
        var requests = store.Reserve(new QuotaRequest("client:a", limits, 10), Now);
        var nextMinute = store.Reserve(new QuotaRequest("client:a", limits, 300), Now.AddMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(first.Admitted, Is.True);
            Assert.That(tokens.Refused, Is.EqualTo(QuotaLimit.TokensPerMinute));
            Assert.That(tokens.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(45)));
            Assert.That(second.Admitted, Is.True);
            Assert.That(second.RemainingRequests, Is.Zero);
            Assert.That(requests.Refused, Is.EqualTo(QuotaLimit.RequestsPerMinute));
            Assert.That(nextMinute.Admitted, Is.True);
            Assert.That(nextMinute.RemainingTokens, Is.EqualTo(200));
        });
    }

    [Test]
    public void ShouldCorrectOnceAndOnlyTheWindowsStillCurrent()
    {
        var store = new InMemoryQuotaStore();
        var limits = new ClientLimits(0, 10_000, 100_000, QuotaPeriod.Daily);
        var reservation = store.Reserve(new QuotaRequest("client:a", limits, 1000), Now).Reservation!;

        store.Correct(reservation, new TokenUsage(100, 50));
        store.Correct(reservation, new TokenUsage(100, 50));
        Assert.That(store.Peek("client:a", Now, QuotaPeriod.Daily), Is.EqualTo((1L, 150L, 150L)));

        // Corrected after its minute ended: the new minute is left alone, the day's quota is corrected.
        var late = store.Reserve(new QuotaRequest("client:a", limits, 1000), Now).Reservation!;
        store.Reserve(new QuotaRequest("client:a", limits, 400), Now.AddMinutes(1));
        store.Correct(late, new TokenUsage(10, 0));
        Assert.That(store.Peek("client:a", Now.AddMinutes(1), QuotaPeriod.Daily), Is.EqualTo((1L, 400L, 150L + 10L + 400L)));
    }

    [Test]
    public void ShouldRefuseWhenTheQuotaIsUsedUpUntilTheNextPeriod()
    {
        var store = new InMemoryQuotaStore();
        var limits = new ClientLimits(0, 0, 1000, QuotaPeriod.Monthly);

        Assert.That(store.Reserve(new QuotaRequest("client:a", limits, 900), Now).Admitted, Is.True);
        var refused = store.Reserve(new QuotaRequest("client:a", limits, 200), Now);
        var nextMonth = store.Reserve(new QuotaRequest("client:a", limits, 200), new DateTimeOffset(2027, 1, 1, 0, 0, 1, TimeSpan.Zero));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Refused, Is.EqualTo(QuotaLimit.TokenQuota));
            Assert.That(refused.ResetsAt, Is.EqualTo(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(nextMonth.Admitted, Is.True);
        });
    }
}
