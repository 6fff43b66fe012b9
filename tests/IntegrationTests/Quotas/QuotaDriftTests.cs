using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using StackExchange.Redis;
using Wrapper.Infrastructure.Quotas;
using Wrapper.Testing;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>Counters that cannot drift: 10,000 reservations, each corrected (twice, concurrently) to a random real usage,
/// from 3 processes at once against one redis-server, leave the quota counter exactly at the sum of the real usage and no
/// reservation behind.</summary>
[TestFixture]
[NonParallelizable]
public sealed class QuotaDriftTests
{
    private const int Processes = 3;
    private const int Pairs = 10_000;

    [Test]
    [CancelAfter(300_000)]
    public async Task ShouldCountExactlyTheRealUsageAfterConcurrentReservationsAndCorrectionsFromThreeProcesses()
    {
        await using var redis = await RedisServer.StartAsync();
        var client = "client:drift-" + Guid.NewGuid().ToString("N");

        var runs = Enumerable.Range(0, Processes)
            .Select(i => RunLoadAsync(redis.ConnectionString, client, Pairs / Processes + (i < Pairs % Processes ? 1 : 0), seed: i + 1))
            .ToList();
        var results = await Task.WhenAll(runs);

        var expected = results.Sum(r => r.Usage);
        Assert.That(results.Sum(r => r.Reserved), Is.EqualTo(Pairs));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var database = connection.GetDatabase();
        var slot = new RedisQuotaStore("wrapper:").Keys(client, 0, "x", "x")[0].ToString();
        var prefix = slot[..(slot.IndexOf('}', StringComparison.Ordinal) + 2)];
        var quotaKeys = server.Keys(pattern: prefix + "q:*").ToList();
        long counted = 0;
        foreach (var key in quotaKeys)
        {
            counted += (long)await database.StringGetAsync(key);
        }

        Assert.Multiple(() =>
        {
            Assert.That(quotaKeys, Is.Not.Empty);
            Assert.That(counted, Is.EqualTo(expected), "the quota counter equals the sum of the real usage");
            Assert.That(server.Keys(pattern: prefix + "r:*").Count(), Is.Zero, "every reservation was corrected");
        });
    }

    private static async Task<(long Usage, int Reserved)> RunLoadAsync(string redis, string client, int pairs, int seed)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { LoadDll(), redis, client, pairs.ToString(CultureInfo.InvariantCulture), "16", seed.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = (await output).Trim();
        Assert.That(process.ExitCode, Is.Zero, $"{line}{Environment.NewLine}{await errors}");

        var fields = line.Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        return (long.Parse(fields["usage"], CultureInfo.InvariantCulture), int.Parse(fields["reserved"], CultureInfo.InvariantCulture));
    }

    /// <summary>tests/QuotaLoad's build output, the same configuration and framework as these tests.</summary>
    private static string LoadDll()
    {
        var configuration = typeof(QuotaDriftTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = Path.GetFileName(TestContext.CurrentContext.TestDirectory.TrimEnd(Path.DirectorySeparatorChar));
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "tests", "QuotaLoad", "bin", configuration, framework, "Wrapper.QuotaLoad.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new FileNotFoundException("Wrapper.QuotaLoad.dll is missing: build tests/IntegrationTests (it references tests/QuotaLoad).");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
