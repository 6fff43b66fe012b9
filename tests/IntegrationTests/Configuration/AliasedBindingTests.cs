using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrapper.Infrastructure.Configuration;

namespace Wrapper.IntegrationTests.Configuration;

/// <summary>The binding rules every setting follows (<see cref="AliasedBinding{TOptions}"/>): aliases win over sections,
/// values are trimmed, blanks count as unset, and every value that does not fit its property is named at start.</summary>
public sealed class AliasedBindingTests
{
    public sealed class Sample
    {
        public string? Name { get; set; }
        public Uri? Endpoint { get; set; }
        public int Count { get; set; } = 3;
        public double Ratio { get; set; } = 0.5;
        public bool? Enabled { get; set; }
        public List<SampleItem> Items { get; } = [];
        public Dictionary<string, SampleItem> ByName { get; set; } = new(StringComparer.OrdinalIgnoreCase);
        public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }
    }

    public sealed class SampleItem
    {
        public string? Id { get; set; }
        public int Weight { get; set; } = 1;
    }

    private static (Sample Options, IReadOnlyList<string> Errors) Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.BindWithAliases<Sample>(configuration, ("Sample", ""), ("SAMPLE_NAME", "Name"), ("SAMPLE_FIRST_ID", "ByName:first:Id"));
        using var provider = services.BuildServiceProvider();
        try
        {
            return (provider.GetRequiredService<IOptions<Sample>>().Value, []);
        }
        catch (OptionsValidationException ex)
        {
            return (null!, ex.Failures.ToList());
        }
    }

    [Test]
    public void TheAlias_WinsOverTheSection_AndValuesAreTrimmed()
    {
        var (options, _) = Bind(new()
        {
            ["Sample:Name"] = "section",
            ["SAMPLE_NAME"] = "  alias  ",
            ["Sample:ByName:first:Id"] = "from-section",
            ["SAMPLE_FIRST_ID"] = "from-alias",
            ["Sample:Endpoint"] = " https://example.test/a/ ",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Name, Is.EqualTo("alias"));
            Assert.That(options.ByName["FIRST"].Id, Is.EqualTo("from-alias"), "the dictionary keeps its case-insensitive comparer");
            Assert.That(options.Endpoint, Is.EqualTo(new Uri("https://example.test/a/")));
        }
    }

    [Test]
    public void ASectionWithAValueOfItsOwn_IsStillReadThroughItsChildren()
    {
        var (options, errors) = Bind(new() { ["Sample"] = "", ["Sample:Count"] = "0" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Is.Empty);
            Assert.That(options.Count, Is.Zero);
        }
    }

    [Test]
    public void BlankValues_CountAsUnset_EvenInAnAlias()
    {
        var (options, errors) = Bind(new()
        {
            ["Sample:Name"] = "section",
            ["SAMPLE_NAME"] = "   ",
            ["Sample:Count"] = "",
            ["Sample:Items:0:Id"] = " ",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Is.Empty);
            Assert.That(options.Name, Is.EqualTo("section"));
            Assert.That(options.Count, Is.EqualTo(3));
            Assert.That(options.Items, Is.Empty, "an entry of blanks is no entry");
        }
    }

    [Test]
    public void Lists_BindInIndexOrder_AndWholeNumbersMayBeWrittenWithADecimalPoint()
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < 11; i++)
        {
            settings[$"Sample:Items:{i}:Id"] = $"item{i}";
        }

        settings["Sample:Items:10:Weight"] = "7.0";
        var (options, errors) = Bind(settings);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Is.Empty);
            Assert.That(options.Items.Select(i => i.Id), Is.EqualTo(Enumerable.Range(0, 11).Select(i => $"item{i}")));
            Assert.That(options.Items[10].Weight, Is.EqualTo(7));
        }
    }

    [Test]
    public void EveryValueThatDoesNotFit_IsNamedWithItsKey()
    {
        var (_, errors) = Bind(new()
        {
            ["Sample:Count"] = "1.5",
            ["Sample:Ratio"] = "half",
            ["Sample:Enabled"] = "yes",
            ["Sample:Items:0:Weight"] = "NaN",
            ["Sample:Ratio2"] = "ignored: no such property",
        });

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "Sample:Count must be a whole number, got '1.5'.",
            "Sample:Ratio must be a number, got 'half'.",
            "Sample:Enabled must be true or false.",
            "Sample:Items:0:Weight must be a number, got 'NaN'.",
        }));
    }

    [Test]
    public void PropertiesOfOtherTypes_AreNeverReadFromConfiguration()
    {
        var (options, errors) = Bind(new() { ["Sample:Certificate"] = "MIIBAQ==", ["Sample:Certificate:RawData"] = "MIIBAQ==" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(errors, Is.Empty);
            Assert.That(options.Certificate, Is.Null);
        }
    }
}
