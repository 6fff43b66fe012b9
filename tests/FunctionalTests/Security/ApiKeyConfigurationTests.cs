using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Key configuration fails closed: an entry that cannot be used stops the host at start with a message naming
/// the entry (never the key), instead of being skipped, which could leave the service open.</summary>
public sealed class ApiKeyConfigurationTests
{
    private const string GoodKey = "a-good-client-key-of-forty-characters-00";
    private const string OtherGoodKey = "another-good-client-key-of-40-characters";

    private static string HashOf(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    /// <summary>Starts the host and returns the messages of what stopped it (or fails when it started).</summary>
    private static async Task<string> StartupFailureAsync(Dictionary<string, string> settings)
    {
        await using var factory = new SecuredApiFactory(settings);
        try
        {
            using var client = factory.CreateClient();
            using var response = await client.GetAsync("/health/live");
            Assert.Fail($"the host started (GET /health/live answered {(int)response.StatusCode})");
        }
        catch (Exception ex) when (ex is not AssertionException)
        {
            var messages = new List<string>();
            for (Exception? e = ex; e is not null; e = e.InnerException)
            {
                messages.Add(e.Message);
                if (e is AggregateException aggregate)
                {
                    messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
                }
            }

            return string.Join(" | ", messages);
        }

        return string.Empty;
    }

    private static async Task AssertRefusedAsync(Dictionary<string, string> settings, string entry, params string[] secrets)
    {
        var message = await StartupFailureAsync(settings);
        Assert.That(message, Does.Contain(entry));
        foreach (var secret in secrets)
        {
            Assert.That(message, Does.Not.Contain(secret), "the message never shows a key");
        }
    }

    [TestCase("not-hex-at-all-but-exactly-sixty-four-characters-long-0123456789")]
    [TestCase("0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00")]
    [TestCase(" ")]
    public async Task ShouldRefuseAMalformedKeyHash(string hash) =>
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:KeyHash"] = HashOf(GoodKey),
            ["Auth:ApiKeys:1:Name"] = "apim",
            ["Auth:ApiKeys:1:KeyHash"] = hash,
        }, "Auth:ApiKeys:1:KeyHash");

    [Test]
    public async Task ShouldRefuseAConfiguredEntryWithoutAKey() =>
        // e.g. the secret that should have filled Auth__ApiKeys__2__Key was not mounted
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:Key"] = GoodKey,
            ["Auth:ApiKeys:1:Name"] = "bob",
            ["Auth:ApiKeys:1:Key"] = OtherGoodKey,
            ["Auth:ApiKeys:2:Name"] = "ops",
            ["Auth:ApiKeys:2:Key"] = string.Empty,
        }, "Auth:ApiKeys:2", GoodKey, OtherGoodKey);

    [Test]
    public async Task ShouldRefuseAShortConfiguredKey() =>
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "ops",
            ["Auth:ApiKeys:0:Key"] = "short-key-31-characters-long-xx",
        }, "Auth:ApiKeys:0:Key", "short-key-31-characters-long-xx");

    [Test]
    public async Task ShouldRefuseAKeyWithSpaces() =>
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "ops",
            ["Auth:ApiKeys:0:Key"] = "a key with spaces that is long enough to pass",
        }, "Auth:ApiKeys:0:Key", "a key with spaces");

    [TestCase("apim:" + GoodKey + ",batch:short-key", "API_KEYS entry 2", "short-key")]
    [TestCase(GoodKey + ",too-short", "API_KEYS entry 2", "too-short")]
    [TestCase("apim:" + GoodKey + ",batch:", "API_KEYS entry 2", GoodKey)]
    [TestCase("apim:" + GoodKey + ",,batch:" + OtherGoodKey, "API_KEYS entry 2", GoodKey)]
    [TestCase("apim:" + GoodKey + ",", "API_KEYS entry 2", GoodKey)]
    public async Task ShouldRefuseABadApiKeysEntry(string value, string entry, string secret) =>
        await AssertRefusedAsync(new Dictionary<string, string> { ["API_KEYS"] = value }, entry, secret);

    [Test]
    public async Task ShouldRefuseAnEntryWithBothKeyAndHash() =>
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "apim",
            ["Auth:ApiKeys:0:Key"] = GoodKey,
            ["Auth:ApiKeys:0:KeyHash"] = HashOf(OtherGoodKey),
        }, "Auth:ApiKeys:0", GoodKey);

    [Test]
    public async Task ShouldRefuseOneKeyForTwoEntries() =>
        await AssertRefusedAsync(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "apim",
            ["Auth:ApiKeys:0:KeyHash"] = HashOf(GoodKey),
            ["API_KEYS"] = "batch:" + OtherGoodKey + ",ops:" + GoodKey,
        }, "API_KEYS entry 2 has the same key as Auth:ApiKeys:0", GoodKey);

    [Test]
    public async Task ShouldRefuseASingleValueWhereTheListBelongs() =>
        // Auth__ApiKeys=<key> binds to no entry: it used to leave the service open.
        await AssertRefusedAsync(new Dictionary<string, string> { ["Auth:ApiKeys"] = GoodKey }, "Auth:ApiKeys must be a list", GoodKey);

    [Test]
    public async Task ShouldStartWithValidEntriesAndTwoKeysForOneClient()
    {
        // A client may have two keys (the old and the new one while rotating); a hash may be upper case.
        await using var factory = new SecuredApiFactory(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:0:Name"] = "apim",
            ["Auth:ApiKeys:0:KeyHash"] = HashOf(GoodKey).ToUpperInvariant(),
            ["API_KEYS"] = "apim:" + OtherGoodKey,
        });
        using var client = factory.CreateClient();
        var codes = new List<HttpStatusCode>();
        foreach (var key in new[] { GoodKey, OtherGoodKey, GoodKey[..^1] })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
            request.Headers.Add("api-key", key);
            using var response = await client.SendAsync(request);
            codes.Add(response.StatusCode);
        }

        Assert.That(codes, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized }));
    }
}
