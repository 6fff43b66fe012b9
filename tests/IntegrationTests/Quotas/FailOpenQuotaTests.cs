using System.Diagnostics;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using Wrapper.Application.Quotas;
using Wrapper.Infrastructure.Quotas;
using Wrapper.Infrastructure.Telemetry;
using Wrapper.Testing;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>Redis down or slow never fails a request: the instance falls back to its own counters (limits still hold),
/// logs it once, reports degraded, and goes back to Redis when it answers again. A real redis-server, killed and
/// restarted.</summary>
[TestFixture]
[NonParallelizable]
public sealed class FailOpenQuotaTests
{
    private RedisServer _redis = null!;
    private RedisConnection _connection = null!;
    private ServiceProvider _services = null!;
    private RecordingLogger<FailOpenClientQuota> _log = null!;
    private FailOpenClientQuota _quota = null!;

    [SetUp]
    public async Task Start()
    {
        _redis = await RedisServer.StartAsync();
        var options = Options.Create(new RedisOptions { ConnectionString = _redis.ConnectionString, TimeoutMilliseconds = 50, RetrySeconds = 1 });
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _connection = new RedisConnection(options, () => Mock.Of<TokenCredential>(), LoggerFactory.Create(_ => { }).CreateLogger<RedisConnection>());
        await _connection.StartAsync(CancellationToken.None);
        await Eventually(() => _connection.Connected is not null, "connected to Redis");
        _log = new RecordingLogger<FailOpenClientQuota>();
        _quota = new FailOpenClientQuota(options, new InMemoryQuotaStore(), TimeProvider.System,
            new WrapperMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), _log, _connection);
    }

    [TearDown]
    public async Task Stop()
    {
        await _quota.DisposeAsync();
        await _connection.StopAsync(CancellationToken.None);
        await _connection.DisposeAsync();
        await _services.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static QuotaRequest Request(string client, int requestsPerMinute = 1000) =>
        new(client, new ClientLimits(requestsPerMinute, 100_000, 0, QuotaPeriod.Daily), 100);

    [Test]
    public async Task ShouldFallBackToItsOwnCountersWhileRedisIsDownAndReturnWhenItIsBack()
    {
        var shared = await _quota.ReserveAsync(Request("client:a"), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(shared.Reservation!.Store, Is.EqualTo(RedisQuotaStore.StoreName));
            Assert.That(_quota.Degraded, Is.False);
            Assert.That(_quota.Store, Is.EqualTo("redis"));
        });

        await _redis.KillAsync();

        // Every request is still answered, from this instance's counters, whose limits hold: 5 per minute here.
        var decisions = new List<QuotaDecision>();
        for (var i = 0; i < 8; i++)
        {
            decisions.Add(await _quota.ReserveAsync(Request("client:b", requestsPerMinute: 5), CancellationToken.None));
        }

        Assert.Multiple(() =>
        {
            Assert.That(decisions.Count(d => d.Admitted), Is.EqualTo(5));
            Assert.That(decisions.Where(d => d.Admitted).Select(d => d.Reservation!.Store), Is.All.EqualTo(InMemoryQuotaStore.StoreName));
            Assert.That(decisions.Where(d => !d.Admitted).Select(d => d.Refused), Is.All.EqualTo(QuotaLimit.RequestsPerMinute));
            Assert.That(_quota.Degraded, Is.True);
            Assert.That(_quota.Store, Is.EqualTo("memory-fallback"));
        });

        // A correction of a reservation made in Redis while Redis is down is dropped quietly.
        await _quota.CorrectAsync(shared.Reservation!, new Domain.Chat.TokenUsage(10, 10));

        // Over several retry intervals, more requests: still one warning (at most one a minute).
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(2.5);
        while (DateTime.UtcNow < until)
        {
            await _quota.ReserveAsync(Request("client:c"), CancellationToken.None);
            await Task.Delay(100);
        }

        Assert.That(_log.Entries.Count(e => e.Level == LogLevel.Warning), Is.EqualTo(1), string.Join(Environment.NewLine, _log.Entries));

        await _redis.RestartAsync();
        QuotaDecision? back = null;
        await Eventually(async () =>
        {
            back = await _quota.ReserveAsync(Request("client:d"), CancellationToken.None);
            return back.Reservation?.Store == RedisQuotaStore.StoreName;
        }, "back on Redis");

        Assert.Multiple(() =>
        {
            Assert.That(_quota.Degraded, Is.False);
            Assert.That(_quota.Store, Is.EqualTo("redis"));
            Assert.That(_log.Entries.Any(e => e.Message.Contains("answers again", StringComparison.Ordinal)), Is.True);
        });
    }

    [Test]
    public async Task ShouldNotWaitForASlowRedisLongerThanItsTimeout()
    {
        Assert.That((await _quota.ReserveAsync(Request("client:slow"), CancellationToken.None)).Reservation!.Store, Is.EqualTo(RedisQuotaStore.StoreName));

        // Redis stops answering every client for 3 s.
        Assert.That(await _redis.CommandAsync("CLIENT PAUSE 3000 ALL"), Does.StartWith("+OK"));
        var clock = Stopwatch.StartNew();
        var decision = await _quota.ReserveAsync(Request("client:slow"), CancellationToken.None);
        var waited = clock.Elapsed;

        Assert.Multiple(() =>
        {
            Assert.That(decision.Admitted, Is.True);
            Assert.That(decision.Reservation!.Store, Is.EqualTo(InMemoryQuotaStore.StoreName));
            Assert.That(waited, Is.LessThan(TimeSpan.FromSeconds(2)), "answered long before Redis did");
            Assert.That(_quota.Degraded, Is.True);
        });
    }

    [Test]
    public async Task ShouldAdmitAClientFarFromItsLimitsWithoutWaitingForRedisAndStillCountItThere()
    {
        var client = "client:roomy-" + Guid.NewGuid().ToString("N");
        var limits = new ClientLimits(1_000_000, 1_000_000_000, 0, QuotaPeriod.Daily);
        var first = await SeenTwiceAsync(new QuotaRequest(client, limits, 300));

        // Redis stops answering for a while: the next request does not wait for it.
        Assert.That(await _redis.CommandAsync("CLIENT PAUSE 300 ALL"), Does.StartWith("+OK"));
        var pending = _quota.ReserveAsync(new QuotaRequest(client, limits, 300), CancellationToken.None);
        Assert.That(pending.IsCompleted, Is.True, "decided here, from what Redis said last");
        var decision = await pending;
        // Its answer came before its reservation reached Redis; the correction waits for that.
        var correcting = _quota.CorrectAsync(decision.Reservation!, new Domain.Chat.TokenUsage(40, 2)).AsTask();
        Assert.That(_quota.PendingReservations, Is.EqualTo(1));

        await correcting;
        await _quota.FlushCorrectionsAsync();

        var keys = new RedisQuotaStore("wrapper:").Keys(client, first.Reservation!.Minute, first.Reservation.Period, decision.Reservation!.Id);
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var database = connection.GetDatabase();
        Assert.Multiple(async () =>
        {
            Assert.That(decision.Admitted, Is.True);
            Assert.That(decision.Reservation!.Store, Is.EqualTo(RedisQuotaStore.StoreName));
            Assert.That(decision.RemainingRequests, Is.EqualTo(1_000_000 - 3));
            Assert.That(_quota.Degraded, Is.False, "a pause shorter than the reservation's wait is no failure");
            Assert.That((long)await database.StringGetAsync(keys[0]), Is.EqualTo(3), "all three requests counted in Redis");
            Assert.That((long)await database.StringGetAsync(keys[1]), Is.EqualTo(300 + 300 + 42), "two still at their estimate, the third corrected");
            Assert.That(await database.KeyExistsAsync(keys[3]), Is.False, "the third's reservation was corrected once it had landed");
            Assert.That(_quota.PendingReservations, Is.Zero);
        });
    }

    [Test]
    public async Task ShouldWaitForRedisToDecideForAClientNearALimit()
    {
        var client = "client:tight-" + Guid.NewGuid().ToString("N");
        // Requests per minute 10: after two, 2 + 1 + the growth seen (one more in about 20 ms: ~50 a second) passes half.
        var limits = new ClientLimits(10, 0, 0, QuotaPeriod.Daily);
        await SeenTwiceAsync(new QuotaRequest(client, limits, 0));

        var decisions = new List<QuotaDecision>();
        for (var i = 0; i < 10; i++)
        {
            var pending = _quota.ReserveAsync(new QuotaRequest(client, limits, 0), CancellationToken.None);
            Assert.That(pending.IsCompleted, Is.False, "decided by Redis");
            decisions.Add(await pending);
        }

        Assert.Multiple(() =>
        {
            Assert.That(decisions.Count(d => d.Admitted), Is.EqualTo(8), "exactly the limit, across the 12 requests");
            Assert.That(decisions.Where(d => !d.Admitted).Select(d => d.Refused), Is.All.EqualTo(QuotaLimit.RequestsPerMinute));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task ShouldCountExactlyTheRealUsageOnceTheCorrectionsSentInTheBackgroundHaveLanded()
    {
        const int Pairs = 2_000;
        var client = "client:background-" + Guid.NewGuid().ToString("N");
        var limits = new ClientLimits(0, 0, 1_000_000_000, QuotaPeriod.Daily);
        var random = new Random(7);
        var usages = Enumerable.Range(0, Pairs).Select(_ => new Domain.Chat.TokenUsage(random.Next(0, 400), random.Next(0, 400))).ToList();
        var next = -1;
        QuotaReservation? sample = null;
        // What this test checks is exactness, not the 50 ms fail-open timeout: with 16 callers on a busy machine a
        // reservation may take longer than that, which would (rightly) fall back to memory and make the test measure load.
        await using var quota = new FailOpenClientQuota(
            Options.Create(new RedisOptions { ConnectionString = _redis.ConnectionString, TimeoutMilliseconds = 5_000, RetrySeconds = 1 }),
            new InMemoryQuotaStore(), TimeProvider.System,
            new WrapperMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), _log, _connection);

        // 16 callers at a time, each reservation corrected twice at once (as a retrying caller would): the answer never
        // waits for Redis, and the counters end exactly at the real usage.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Pairs)
            {
                var decision = await quota.ReserveAsync(new QuotaRequest(client, limits, 300), CancellationToken.None);
                Assert.That(decision.Reservation!.Store, Is.EqualTo(RedisQuotaStore.StoreName));
                sample ??= decision.Reservation;
                await Task.WhenAll(quota.CorrectAsync(decision.Reservation, usages[i]).AsTask(), quota.CorrectAsync(decision.Reservation, usages[i]).AsTask());
            }
        })));
        await quota.FlushCorrectionsAsync();

        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var quotaKey = new RedisQuotaStore("wrapper:").Keys(client, sample!.Minute, sample.Period, "x")[2];
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var slot = quotaKey.ToString()[..(quotaKey.ToString().IndexOf('}', StringComparison.Ordinal) + 2)];

        Assert.Multiple(async () =>
        {
            Assert.That(quota.PendingCorrections, Is.Zero);
            Assert.That((long)await connection.GetDatabase().StringGetAsync(quotaKey), Is.EqualTo(usages.Sum(u => (long)u.TotalTokens)));
            Assert.That(server.Keys(pattern: slot + "r:*").Count(), Is.Zero, "every reservation was corrected");
        });
    }

    [Test]
    public async Task ShouldSendTheQueuedCorrectionsWhenItStops()
    {
        var client = "client:stopping-" + Guid.NewGuid().ToString("N");
        var limits = new ClientLimits(0, 0, 1_000_000_000, QuotaPeriod.Hourly);
        var reservations = new List<QuotaReservation>();
        for (var i = 0; i < 50; i++)
        {
            reservations.Add((await _quota.ReserveAsync(new QuotaRequest(client, limits, 1000), CancellationToken.None)).Reservation!);
        }

        foreach (var reservation in reservations)
        {
            await _quota.CorrectAsync(reservation, new Domain.Chat.TokenUsage(5, 5));
        }

        await _quota.DisposeAsync();
        // After it stopped, a late correction is still sent (at once, no longer queued).
        var late = (await _quota.ReserveAsync(new QuotaRequest(client, limits, 1000), CancellationToken.None)).Reservation!;
        await _quota.CorrectAsync(late, new Domain.Chat.TokenUsage(5, 5));

        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var database = connection.GetDatabase();
        var counted = 0L;
        foreach (var period in reservations.Concat([late]).Select(r => r.Period).Distinct())
        {
            counted += (long)await database.StringGetAsync(new RedisQuotaStore("wrapper:").Keys(client, late.Minute, period, "x")[2]);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_quota.PendingCorrections, Is.Zero);
            Assert.That(counted, Is.EqualTo(510), "51 answers of 10 tokens each, none left at its estimate of 1000");
        });
    }

    /// <summary>Two decisions by Redis, 20 ms apart and within one minute: this instance has then seen the client's
    /// counters twice, so it knows how fast they grow. Returns the first.</summary>
    private async Task<QuotaDecision> SeenTwiceAsync(QuotaRequest request)
    {
        await NotAtTheEndOfAMinute();
        var first = await _quota.ReserveAsync(request, CancellationToken.None);
        await Task.Delay(20);
        await _quota.ReserveAsync(request, CancellationToken.None);
        return first;
    }

    /// <summary>Waits out the last 3 s of a minute, so that a test's requests all count in one minute.</summary>
    private static async Task NotAtTheEndOfAMinute()
    {
        var now = DateTime.UtcNow;
        if (now.Second >= 57)
        {
            await Task.Delay(TimeSpan.FromSeconds(60 - now.Second) - TimeSpan.FromMilliseconds(now.Millisecond) + TimeSpan.FromMilliseconds(100));
        }
    }

    private static async Task Eventually(Func<bool> condition, string what) => await Eventually(() => Task.FromResult(condition()), what);

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not {what} within 30 s.");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>Keeps every log entry, for tests about what is logged and how often.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => _entries.ToList();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));
}
