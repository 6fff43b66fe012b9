using Wrapper.Application.Quotas;
using Wrapper.Infrastructure.Quotas;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>When an instance may admit a request from what Redis last told it, without waiting for Redis: only for a
/// client whose counters, with what is in flight, this request and a second of growth at the rate seen, stay within half
/// of every limit it has.</summary>
[TestFixture]
public sealed class ClientCounterViewsTests
{
    private const string Client = "client:a";
    private const long Minute = 29_000_000;
    private const string Period = "d:2026-12-07";
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(Minute * 60 + 10);

    private static QuotaRequest Request(long tokens = 100, int requestsPerMinute = 1_000, long tokensPerMinute = 1_000_000, long quota = 0) =>
        new(Client, new ClientLimits(requestsPerMinute, tokensPerMinute, quota, QuotaPeriod.Daily), tokens);

    /// <summary>A view that has seen the client at <paramref name="requests"/>/<paramref name="tokens"/>, growing by one
    /// request of 100 tokens every 100 ms (10 requests and 1,000 tokens a second).</summary>
    private static ClientCounterViews Seen(long requests = 10, long tokens = 1_000)
    {
        var views = new ClientCounterViews();
        views.Observe(Client, Minute, Period, requests - 1, tokens - 100, tokens - 100, Start);
        views.Observe(Client, Minute, Period, requests, tokens, tokens, Start.AddMilliseconds(100));
        return views;
    }

    [Test]
    public void ShouldAdmitAClientFarFromItsLimitsAndCountItAsInFlight()
    {
        var views = Seen();

        var first = views.TryAdmit(Request(), Minute, Period, Start.AddMilliseconds(150), out var afterFirst);
        var second = views.TryAdmit(Request(), Minute, Period, Start.AddMilliseconds(160), out var afterSecond);

        Assert.Multiple(() =>
        {
            Assert.That(first && second, Is.True);
            Assert.That(afterFirst, Is.EqualTo((11L, 1_100L, 1_100L)), "the counters seen plus this request");
            Assert.That(afterSecond, Is.EqualTo((12L, 1_200L, 1_200L)), "and the one admitted before, still in flight");
        });
    }

    [Test]
    public void ShouldLeaveTheDecisionToRedisUntilItHasSeenTheClientTwiceInThisMinute()
    {
        var never = new ClientCounterViews();
        var once = new ClientCounterViews();
        once.Observe(Client, Minute, Period, 1, 100, 100, Start);
        var lastMinute = new ClientCounterViews();
        lastMinute.Observe(Client, Minute - 1, Period, 1, 100, 100, Start.AddMinutes(-1));
        lastMinute.Observe(Client, Minute - 1, Period, 2, 200, 200, Start.AddMinutes(-1).AddMilliseconds(100));
        lastMinute.Observe(Client, Minute, Period, 3, 300, 300, Start);

        Assert.Multiple(() =>
        {
            Assert.That(never.TryAdmit(Request(), Minute, Period, Start, out _), Is.False, "never seen");
            Assert.That(once.TryAdmit(Request(), Minute, Period, Start, out _), Is.False, "no growth rate yet");
            Assert.That(lastMinute.TryAdmit(Request(), Minute, Period, Start, out _), Is.False, "the rate seen was of the minute before");
            Assert.That(Seen().TryAdmit(Request(), Minute + 1, Period, Start.AddSeconds(50), out _), Is.False, "a new minute");
            Assert.That(Seen().TryAdmit(Request(), Minute, "d:2026-12-08", Start.AddMilliseconds(150), out _), Is.False, "a new period");
        });
    }

    [Test]
    public void ShouldLeaveTheDecisionToRedisWhenWhatItSawIsOlderThanTheHorizon()
    {
        var views = Seen();

        Assert.Multiple(() =>
        {
            Assert.That(views.TryAdmit(Request(), Minute, Period, Start.AddMilliseconds(100) + ClientCounterViews.Horizon, out _), Is.True);
            Assert.That(views.TryAdmit(Request(), Minute, Period, Start.AddMilliseconds(101) + ClientCounterViews.Horizon, out _), Is.False);
        });
    }

    [TestCase(1_000, 1_000_000, 0, true, TestName = "Within half of every limit")]
    [TestCase(42, 1_000_000, 0, true, TestName = "Requests: 10 seen + 1 + 10 a second = 21 of 42, within half")]
    [TestCase(41, 1_000_000, 0, false, TestName = "Requests: 21 of 41, past half")]
    [TestCase(1_000, 4_200, 0, true, TestName = "Tokens per minute: 1,000 + 100 + 1,000 a second = 2,100 of 4,200")]
    [TestCase(1_000, 4_199, 0, false, TestName = "Tokens per minute: past half")]
    [TestCase(1_000, 0, 4_199, false, TestName = "Token quota: past half")]
    [TestCase(1_000, 0, 4_200, true, TestName = "Token quota: within half")]
    [TestCase(0, 0, 0, true, TestName = "No limit at all")]
    public void ShouldAdmitOnlyWithinHalfOfEachLimitCountingASecondOfGrowth(int requestsPerMinute, long tokensPerMinute, long quota, bool admitted)
    {
        var views = Seen();

        Assert.That(views.TryAdmit(Request(100, requestsPerMinute, tokensPerMinute, quota), Minute, Period, Start.AddMilliseconds(150), out _),
            Is.EqualTo(admitted));
    }

    [Test]
    public void ShouldCountWhatIsInFlightUntilItHasLanded()
    {
        var views = Seen();
        var limits = Request(100, requestsPerMinute: 44); // half: 22 = 10 seen + 10 a second of growth + 2 in flight
        var now = Start.AddMilliseconds(150);

        Assert.That(views.TryAdmit(limits, Minute, Period, now, out _), Is.True);
        Assert.That(views.TryAdmit(limits, Minute, Period, now, out _), Is.True);
        Assert.That(views.TryAdmit(limits, Minute, Period, now, out _), Is.False, "two in flight: a third would pass half");

        views.Landed(Client, Minute, 100);

        Assert.That(views.TryAdmit(limits, Minute, Period, now, out _), Is.True, "one landed: room again until Redis says otherwise");
    }

    [Test]
    public void ShouldProjectTheFastestGrowthSeenLately()
    {
        var views = Seen();
        // 200 requests in the next 100 ms, by every instance together: 2,000 a second.
        views.Observe(Client, Minute, Period, 210, 1_000, 1_000, Start.AddMilliseconds(200));

        Assert.Multiple(() =>
        {
            Assert.That(views.TryAdmit(Request(0, requestsPerMinute: 4_500), Minute, Period, Start.AddMilliseconds(210), out _), Is.True,
                "211 + 2,000 a second is within half of 4,500");
            Assert.That(views.TryAdmit(Request(0, requestsPerMinute: 4_400), Minute, Period, Start.AddMilliseconds(210), out _), Is.False);
        });
    }
}
