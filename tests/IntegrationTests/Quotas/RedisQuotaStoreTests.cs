using StackExchange.Redis;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Quotas;
using Wrapper.Testing;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>The Redis quota store's scripts against a real redis-server on 127.0.0.1.</summary>
[TestFixture]
public sealed class RedisQuotaStoreTests
{
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private IDatabase _database = null!;
    private readonly RedisQuotaStore _store = new("wrapper:");

    [OneTimeSetUp]
    public async Task StartRedis()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        _database = _connection.GetDatabase();
    }

    [OneTimeTearDown]
    public async Task StopRedis()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static string NewClient() => "client:" + Guid.NewGuid().ToString("N");

    [Test]
    public async Task ShouldRefuseTheRequestOverTheRequestsPerMinute()
    {
        var client = NewClient();
        var limits = new ClientLimits(2, 0, 0, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;

        var first = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 0), now);
        var second = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 0), now);
        var third = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 0), now);

        Assert.Multiple(() =>
        {
            Assert.That(first.Admitted && second.Admitted, Is.True);
            Assert.That(first.RemainingRequests, Is.EqualTo(1));
            Assert.That(second.RemainingRequests, Is.EqualTo(0));
            Assert.That(third.Refused, Is.EqualTo(QuotaLimit.RequestsPerMinute));
            Assert.That(third.ResetsAt, Is.EqualTo(QuotaWindows.Minute(now).EndsAt));
            Assert.That(third.RetryAfter, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(third.RemainingTokens, Is.Null, "no token limit: no token count");
        });
    }

    [Test]
    public async Task ShouldRefuseTokensOverTheMinuteLimitUntilACorrectionFreesThem()
    {
        var client = NewClient();
        var limits = new ClientLimits(0, 1000, 0, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;

        var big = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 800), now);
        var refused = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 300), now);
        Assert.Multiple(() =>
        {
            Assert.That(big.Admitted, Is.True);
            Assert.That(big.RemainingTokens, Is.EqualTo(200));
            Assert.That(refused.Refused, Is.EqualTo(QuotaLimit.TokensPerMinute));
        });

        // The answer used 350 tokens, not 800: the difference is given back at once.
        Assert.That(await _store.CorrectAsync(_database, big.Reservation!, new TokenUsage(300, 50)), Is.True);
        var admitted = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 300), now);
        Assert.Multiple(() =>
        {
            Assert.That(admitted.Admitted, Is.True);
            Assert.That(admitted.RemainingTokens, Is.EqualTo(1000 - 350 - 300));
        });
    }

    [Test]
    public async Task ShouldRefuseWhenTheQuotaOfThePeriodIsUsedUpWithItsResetTime()
    {
        var client = NewClient();
        var limits = new ClientLimits(0, 0, 500, QuotaPeriod.Hourly);
        var now = DateTimeOffset.UtcNow;

        var first = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 400), now);
        var second = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 200), now);

        Assert.Multiple(() =>
        {
            Assert.That(first.Admitted, Is.True);
            Assert.That(second.Refused, Is.EqualTo(QuotaLimit.TokenQuota));
            Assert.That(second.ResetsAt, Is.EqualTo(QuotaWindows.Period(now, QuotaPeriod.Hourly).EndsAt));
            Assert.That(second.RemainingTokens, Is.EqualTo(100));
        });
    }

    [Test]
    public async Task ShouldApplyACorrectionOnlyOnceAndGiveEveryKeyATimeToLive()
    {
        var client = NewClient();
        var limits = new ClientLimits(10, 10_000, 100_000, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;
        var decision = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 1000), now);
        var reservation = decision.Reservation!;
        var keys = _store.Keys(client, reservation.Minute, reservation.Period, reservation.Id);

        foreach (var key in keys)
        {
            var ttl = await _database.KeyTimeToLiveAsync(key);
            Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero), $"{key} has a TTL");
        }

        var applied = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _store.CorrectAsync(_database, reservation, new TokenUsage(100, 20))));

        Assert.Multiple(async () =>
        {
            Assert.That(applied.Count(a => a), Is.EqualTo(1));
            Assert.That((long)await _database.StringGetAsync(keys[1]), Is.EqualTo(120));
            Assert.That((long)await _database.StringGetAsync(keys[2]), Is.EqualTo(120));
            Assert.That(await _database.KeyExistsAsync(keys[3]), Is.False, "the reservation is gone once corrected");
        });
    }

    [Test]
    public async Task ShouldApplyABatchOfOneClientsCorrectionsInOneCallEachOnce()
    {
        var client = NewClient();
        var limits = new ClientLimits(100, 1_000_000, 1_000_000, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;
        var reservations = new List<QuotaReservation>();
        for (var i = 0; i < 20; i++)
        {
            reservations.Add((await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 500), now)).Reservation!);
        }

        var batch = reservations.Select((r, i) => (r, new TokenUsage(i, 1))).ToList();
        var first = await _store.CorrectAsync(_database, batch);
        // The same batch again (a retry after a timeout that had in fact landed): nothing more is applied.
        var again = await _store.CorrectAsync(_database, batch);
        var keys = _store.Keys(client, reservations[0].Minute, reservations[0].Period, "x");
        var expected = batch.Sum(c => (long)c.Item2.TotalTokens);

        Assert.Multiple(async () =>
        {
            Assert.That(first, Is.EqualTo(20));
            Assert.That(again, Is.Zero);
            Assert.That((long)await _database.StringGetAsync(keys[1]), Is.EqualTo(expected));
            Assert.That((long)await _database.StringGetAsync(keys[2]), Is.EqualTo(expected));
        });
        Assert.ThrowsAsync<ArgumentException>(() => _store.CorrectAsync(_database,
            [(reservations[0], new TokenUsage(1, 1)), (reservations[1] with { Client = NewClient() }, new TokenUsage(1, 1))]));
    }

    [Test]
    public async Task ShouldSendTheScriptAgainWhenTheServerHasForgottenIt()
    {
        var client = NewClient();
        var limits = new ClientLimits(10, 10_000, 0, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;
        Assert.That((await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 100), now)).Admitted, Is.True);

        // A restarted or flushed server knows no script: EVALSHA answers NOSCRIPT, and the store sends the script itself.
        await _database.ExecuteAsync("SCRIPT", "FLUSH");
        var decision = await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 100), now);
        var applied = await _store.CorrectAsync(_database, decision.Reservation!, new TokenUsage(10, 10));

        Assert.Multiple(() =>
        {
            Assert.That(decision.Admitted, Is.True);
            Assert.That(decision.RemainingTokens, Is.EqualTo(10_000 - 200));
            Assert.That(applied, Is.True);
        });
    }

    [Test]
    public async Task ShouldKeepClientsApartAndNameNoClientInItsKeys()
    {
        var alice = NewClient();
        var bob = NewClient();
        var limits = new ClientLimits(1, 0, 0, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;

        Assert.That((await _store.ReserveAsync(_database, new QuotaRequest(alice, limits, 0), now)).Admitted, Is.True);
        Assert.That((await _store.ReserveAsync(_database, new QuotaRequest(alice, limits, 0), now)).Admitted, Is.False);
        Assert.That((await _store.ReserveAsync(_database, new QuotaRequest(bob, limits, 0), now)).Admitted, Is.True);
        Assert.That(_store.Keys(alice, 1, "d", "x").Select(k => k.ToString()), Has.None.Contains(alice[7..]));
    }

    [Test]
    public async Task ConcurrentReservationsOfOneClientShouldBeDecidedInTurnAsSeparateCallsWouldBe()
    {
        var client = NewClient();
        // 300 at once against 150 requests and 100,000 tokens a minute: exactly 150 admitted (the request limit comes
        // first), however they were batched, and the counters hold exactly what was admitted.
        var limits = new ClientLimits(150, 100_000, 0, QuotaPeriod.Daily);
        var now = DateTimeOffset.UtcNow;
        var callsBefore = await ScriptCallsAsync();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(() =>
            _store.ReserveAsync(_database, new QuotaRequest(client, limits, 10), now))));

        var admitted = decisions.Where(d => d.Admitted).ToList();
        var keys = _store.Keys(client, admitted[0].Reservation!.Minute, admitted[0].Reservation!.Period, "x");
        var calls = await ScriptCallsAsync() - callsBefore;
        Assert.Multiple(async () =>
        {
            Assert.That(admitted, Has.Count.EqualTo(150));
            Assert.That(decisions.Where(d => !d.Admitted).Select(d => d.Refused), Has.All.EqualTo(QuotaLimit.RequestsPerMinute));
            Assert.That(admitted.Select(d => d.Reservation!.Id).Distinct().Count(), Is.EqualTo(150));
            Assert.That(admitted.Select(d => d.RemainingRequests).Distinct().Count(), Is.EqualTo(150), "each saw the count the ones before it left");
            Assert.That((long)await _database.StringGetAsync(keys[0]), Is.EqualTo(150));
            Assert.That((long)await _database.StringGetAsync(keys[1]), Is.EqualTo(1500));
            Assert.That(calls, Is.LessThan(300), "reservations that waited for a call on its way went together");
        });

        async Task<long> ScriptCallsAsync()
        {
            await using var admin = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString + ",allowAdmin=true");
            var stats = (string?)await admin.GetDatabase().ExecuteAsync("INFO", "commandstats") ?? string.Empty;
            var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(',')[0]["cmdstat_evalsha:calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Test]
    public async Task ReservationsOfOneBatchThatStraddleAMinuteShouldEachCountInTheirOwnMinute()
    {
        var client = NewClient();
        var limits = new ClientLimits(1000, 0, 0, QuotaPeriod.Daily);
        var minute = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60);
        var before = minute.AddMilliseconds(-1);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            _store.ReserveAsync(_database, new QuotaRequest(client, limits, 0), i % 2 == 0 ? before : minute))));

        var earlier = _store.Keys(client, QuotaWindows.Minute(before).Id, "d", "x")[0];
        var later = _store.Keys(client, QuotaWindows.Minute(minute).Id, "d", "x")[0];
        Assert.Multiple(async () =>
        {
            Assert.That(decisions, Has.All.Matches<QuotaDecision>(d => d.Admitted));
            Assert.That((long)await _database.StringGetAsync(earlier), Is.EqualTo(50));
            Assert.That((long)await _database.StringGetAsync(later), Is.EqualTo(50));
        });
    }

    [Test]
    public async Task ReservationsWaitingForARedisThatFailsShouldAllFail()
    {
        var client = NewClient();
        var limits = new ClientLimits(1000, 0, 0, QuotaPeriod.Daily);
        await using var gone = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var database = gone.GetDatabase();
        await gone.CloseAsync();

        var attempts = Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            _store.ReserveAsync(database, new QuotaRequest(client, limits, 0), DateTimeOffset.UtcNow))).ToList();

        foreach (var attempt in attempts)
        {
            Assert.That(async () => await attempt, Throws.InstanceOf<Exception>());
        }

        // The lane is free again: the next reservation goes through a working connection.
        Assert.That((await _store.ReserveAsync(_database, new QuotaRequest(client, limits, 0), DateTimeOffset.UtcNow)).Admitted, Is.True);
    }
}
