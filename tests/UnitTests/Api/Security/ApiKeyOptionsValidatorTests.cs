using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Wrapper.Api.Security;

namespace Wrapper.UnitTests.Api.Security;

public sealed class ApiKeyOptionsValidatorTests
{
    private const string GoodKey = "0123456789abcdef0123456789abcdef-good";
    private const string OtherKey = "fedcba9876543210fedcba9876543210-other";

    private static string HashOf(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeyOptions Configured(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ApiKeyOptions { ApiKeys = ApiKeyOptions.ReadConfigured(configuration.GetSection("Auth:ApiKeys")) };
    }

    private static ApiKeyOptions FromEnvironment(string value) => new() { ApiKeys = ApiKeyOptions.ParseEnvironment(value).ToList() };

    private static IReadOnlyList<string> Failures(ApiKeyOptions options)
    {
        var result = new ApiKeyOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }

    [Test]
    public void ShouldAcceptHashesKeysAndNoEntryAtAll()
    {
        var options = Configured(("Auth:ApiKeys:0:Name", "apim"), ("Auth:ApiKeys:0:KeyHash", HashOf(GoodKey).ToLowerInvariant()),
            ("Auth:ApiKeys:1:Name", "ops"), ("Auth:ApiKeys:1:Key", OtherKey));
        options.ApiKeys.AddRange(ApiKeyOptions.ParseEnvironment(new string('k', ApiKeyOptions.MinimumKeyLength)));

        Assert.Multiple(() =>
        {
            Assert.That(Failures(options), Is.Empty);
            Assert.That(Failures(new ApiKeyOptions()), Is.Empty, "no key at all is the open service, not an error");
            Assert.That(Failures(FromEnvironment("  ")), Is.Empty, "a blank API_KEYS is unset");
        });
    }

    [TestCase("zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", TestName = "KeyHash not hex")]
    [TestCase("0123456789abcdef", TestName = "KeyHash too short")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", TestName = "KeyHash too long")]
    [TestCase("0123456789abcdef 123456789abcdef0123456789abcdef0123456789abcdef", TestName = "KeyHash with a space")]
    public void ShouldRefuseAMalformedHashNamingItsPath(string hash)
    {
        var failures = Failures(Configured(("Auth:ApiKeys:0:Name", "apim"), ("Auth:ApiKeys:0:KeyHash", HashOf(GoodKey)),
            ("Auth:ApiKeys:3:Name", "batch"), ("Auth:ApiKeys:3:KeyHash", hash)));

        Assert.That(failures, Has.Exactly(1).Items.StartWith("Auth:ApiKeys:3:KeyHash "), "the configuration path, even in a sparse list");
    }

    [TestCase("")]
    [TestCase(null)]
    public void ShouldRefuseAConfiguredEntryWithoutAKey(string? key)
    {
        var settings = new List<(string, string)> { ("Auth:ApiKeys:0:Name", "ops") };
        if (key is not null)
        {
            settings.Add(("Auth:ApiKeys:0:Key", key));
        }

        Assert.That(Failures(Configured(settings.ToArray())), Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0 has no key"));
    }

    [TestCase("tiny-key")]
    [TestCase("0123456789abcdef0123456789abcde")]
    public void ShouldRefuseAShortKeyWithoutShowingIt(string key)
    {
        var failures = Failures(Configured(("Auth:ApiKeys:0:Key", key)));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0:Key is shorter than 32 characters"));
            Assert.That(string.Join(" ", failures), Does.Not.Contain(key));
        });
    }

    [Test]
    public void ShouldAcceptAKeyOfExactlyTheMinimumLength() =>
        Assert.That(Failures(Configured(("Auth:ApiKeys:0:Key", new string('a', ApiKeyOptions.MinimumKeyLength)))), Is.Empty);

    [TestCase(" 0123456789abcdef0123456789abcdef")]
    [TestCase("0123456789abcdef 0123456789abcdef")]
    [TestCase("0123456789abcdef\t0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcdéf")]
    public void ShouldRefuseAKeyThatCannotTravelInAHeader(string key) =>
        Assert.That(Failures(Configured(("Auth:ApiKeys:0:Key", key))), Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0:Key must be printable ASCII"));

    [Test]
    public void ShouldRefuseAnEntryWithBothKeyAndHash() =>
        Assert.That(Failures(Configured(("Auth:ApiKeys:0:Key", GoodKey), ("Auth:ApiKeys:0:KeyHash", HashOf(GoodKey)))),
            Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0 has both Key and KeyHash"));

    [Test]
    public void ShouldRefuseANameWithControlCharacters() =>
        Assert.That(Failures(Configured(("Auth:ApiKeys:0:Name", "ops\nadmin"), ("Auth:ApiKeys:0:Key", GoodKey))),
            Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0:Name contains control characters"));

    [TestCase("apim:" + GoodKey + ",batch:tiny-key", "API_KEYS entry 2's key is shorter than 32 characters")]
    [TestCase("tiny-key," + GoodKey, "API_KEYS entry 1's key is shorter than 32 characters")]
    [TestCase("apim:" + GoodKey + ",batch:", "API_KEYS entry 2 has no key")]
    [TestCase("apim:" + GoodKey + ",", "API_KEYS entry 2 has no key")]
    [TestCase(GoodKey + ",," + OtherKey, "API_KEYS entry 2 has no key")]
    public void ShouldRefuseABadApiKeysEntryByItsPosition(string value, string message)
    {
        var failures = Failures(FromEnvironment(value));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Exactly(1).Items.StartWith(message));
            Assert.That(string.Join(" ", failures), Does.Not.Contain(GoodKey).And.Not.Contain(OtherKey).And.Not.Contain("tiny-key"));
        });
    }

    [Test]
    public void ShouldRefuseOneKeyInTwoEntriesWhateverTheirForm()
    {
        var options = Configured(("Auth:ApiKeys:0:Name", "apim"), ("Auth:ApiKeys:0:KeyHash", HashOf(GoodKey)));
        options.ApiKeys.AddRange(ApiKeyOptions.ParseEnvironment($"batch:{OtherKey},ops:{GoodKey}"));

        Assert.That(Failures(options), Is.EqualTo(new[]
        {
            "API_KEYS entry 2 has the same key as Auth:ApiKeys:0; a key may belong to one entry only (give a client several keys, not a key several entries)",
        }));
    }

    [Test]
    public void ShouldLetOneClientHaveSeveralKeys()
    {
        // Rotation: the old and the new key of one client, both valid for a while; they are one client.
        var options = FromEnvironment($"apim:{GoodKey},apim:{OtherKey}");

        Assert.Multiple(() =>
        {
            Assert.That(Failures(options), Is.Empty);
            Assert.That(options.Clients().Select(c => c.Name), Is.EqualTo(new[] { "apim", "apim" }));
        });
    }

    [Test]
    public void ShouldReportEveryBadEntryAtOnce() =>
        Assert.That(Failures(FromEnvironment($"a:tiny-key,b:{GoodKey},c:,d:{GoodKey}")), Has.Count.EqualTo(3));

    [Test]
    public void ShouldNameEnvironmentEntriesAsBefore()
    {
        var clients = FromEnvironment($" apim : {GoodKey} ,{OtherKey}").Clients();

        Assert.Multiple(() =>
        {
            Assert.That(clients.Select(c => c.Name), Is.EqualTo(new[] { "apim", "client2" }));
            Assert.That(clients[0].KeyHash, Is.EqualTo(SHA256.HashData(Encoding.UTF8.GetBytes(GoodKey))));
        });
    }

    [Test]
    public void ShouldCarryTheGatewayFlag()
    {
        var clients = Configured(("Auth:ApiKeys:0:Name", "apim"), ("Auth:ApiKeys:0:Key", GoodKey), ("Auth:ApiKeys:0:Gateway", "true"),
            ("Auth:ApiKeys:1:Name", "ops"), ("Auth:ApiKeys:1:Key", OtherKey)).Clients();

        Assert.That(clients.Select(c => c.Gateway), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void ShouldNeverTurnABadEntryIntoNoEntry()
    {
        // Were validation bypassed, the client list must not silently shrink (which could leave the service open).
        var options = Configured(("Auth:ApiKeys:0:Name", "apim"), ("Auth:ApiKeys:0:KeyHash", "not-a-hash"));

        var error = Assert.Throws<InvalidOperationException>(() => options.Clients());
        Assert.That(error!.Message, Does.StartWith("Auth:ApiKeys:0:KeyHash"));
    }

    [Test]
    public void ShouldNotReadTheSourceFromConfiguration()
    {
        var options = Configured(("Auth:ApiKeys:0:Key", "tiny-key"), ("Auth:ApiKeys:0:Source", "API_KEYS entry 9"));

        Assert.That(Failures(options), Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0:Key"));
    }

    [Test]
    public void ShouldRefuseAPlainValueWhereAnEntryBelongs()
    {
        var failures = Failures(Configured(("Auth:ApiKeys:0", "secret-plain-value-0123456789abcdef0123")));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Exactly(1).Items.StartWith("Auth:ApiKeys:0 has no key"));
            Assert.That(string.Join(" ", failures), Does.Not.Contain("secret-plain-value"));
        });
    }

    [Test]
    public void ShouldRefuseASingleValueWhereTheListBelongs()
    {
        // Auth__ApiKeys=<key> binds to nothing: without this check the service would silently be open.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Auth:ApiKeys", "secret-single-value-0123456789abcdef")])
            .Build();
        var options = new ApiKeyOptions { ApiKeys = ApiKeyOptions.ReadConfigured(configuration.GetSection("Auth:ApiKeys")) };

        var result = new ApiKeyOptionsValidator(configuration).Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures, Has.Exactly(1).Items.StartWith("Auth:ApiKeys must be a list"));
            Assert.That(result.FailureMessage, Does.Not.Contain("secret-single-value"));
        });
    }
}
