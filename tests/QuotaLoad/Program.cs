using System.Globalization;
using StackExchange.Redis;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Quotas;

// Usage: Wrapper.QuotaLoad <redis> <client> <pairs> <concurrency> <seed>
// Runs <pairs> reservations of a random estimate, each followed by its correction to a random real usage (sent twice,
// concurrently, as a retrying caller would), <concurrency> at a time, through RedisQuotaStore. Prints one line:
// "usage=<sum of real usage> reserved=<admitted reservations>", and exits 0; any failure exits 1.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: Wrapper.QuotaLoad <redis> <client> <pairs> <concurrency> <seed>");
    return 2;
}

var pairs = int.Parse(args[2], CultureInfo.InvariantCulture);
var concurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
var seed = int.Parse(args[4], CultureInfo.InvariantCulture);
await using var redis = await ConnectionMultiplexer.ConnectAsync(args[0]);
var database = redis.GetDatabase();
var store = new RedisQuotaStore("wrapper:");
// A quota far above the load, so that every reservation is admitted and the counter is the sum of what was corrected.
var limits = new ClientLimits(0, 0, long.MaxValue / 4, QuotaPeriod.Monthly);

long usage = 0;
var admitted = 0;
var next = -1;
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
{
    var random = new Random(seed * 1000 + worker);
    while (Interlocked.Increment(ref next) < pairs)
    {
        var estimate = random.Next(100, 2000);
        var decision = await store.ReserveAsync(database, new QuotaRequest(args[1], limits, estimate), DateTimeOffset.UtcNow);
        if (decision.Reservation is not { } reservation)
        {
            throw new InvalidOperationException($"Reservation refused: {decision.Refused}.");
        }

        Interlocked.Increment(ref admitted);
        var actual = new TokenUsage(random.Next(0, 1000), random.Next(0, 1500));
        var applied = await Task.WhenAll(store.CorrectAsync(database, reservation, actual), store.CorrectAsync(database, reservation, actual));
        if (applied.Count(a => a) != 1)
        {
            throw new InvalidOperationException($"A correction applied {applied.Count(a => a)} times.");
        }

        Interlocked.Add(ref usage, actual.TotalTokens);
    }
}));

Console.WriteLine(FormattableString.Invariant($"usage={usage} reserved={admitted}"));
return 0;
