using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;
using Wrapper.Infrastructure.Agents;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>Which protocol each configured agent runs on, and the start-time checks of those entries (no server involved).</summary>
public sealed class AgentProtocolOptionsTests
{
    private static AgentServiceOptions Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgents(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AgentServiceOptions>>().Value;
    }

    private static string Failures(Dictionary<string, string?> settings) =>
        string.Join("\n", Assert.Throws<OptionsValidationException>(() => Options(settings))!.Failures);

    [Test]
    public void AnAgentId_IsClassic_AndANameOrNothingElse_IsTheNewProtocol()
    {
        var options = Options(new()
        {
            ["Agents:classic-one:AgentId"] = "asst_abc",
            ["Agents:named:AgentName"] = "support-bot",
            ["Agents:named:AgentVersion"] = "3",
            ["Agents:by-entry:Protocol"] = "Responses",
            ["Agents:latest:AgentVersion"] = " ",
            ["Agents:latest:AgentName"] = " helper ",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.TargetOf("classic-one"), Is.EqualTo(new AgentTarget("classic-one", AgentProtocol.Classic, "asst_abc", null)));
            Assert.That(options.TargetOf("NAMED"), Is.EqualTo(new AgentTarget("NAMED", AgentProtocol.Responses, "support-bot", "3")));
            Assert.That(options.TargetOf("by-entry"), Is.EqualTo(new AgentTarget("by-entry", AgentProtocol.Responses, "by-entry", null)),
                "a new agent's name defaults to the entry's");
            Assert.That(options.TargetOf("latest"), Is.EqualTo(new AgentTarget("latest", AgentProtocol.Responses, "helper", null)));
            Assert.That(options.TargetOf("nobody"), Is.Null);
            Assert.That(options.AgentIdOf("named"), Is.Null, "a new agent has no classic id");
        }
    }

    [Test]
    public void TheOriginalNames_SetTheBingAgent_ClassicById_OrNewByNameAndVersion()
    {
        var classic = Options(new() { ["AZURE_AI_AGENT_ID"] = "asst_env" });
        var newer = Options(new() { ["AZURE_AI_AGENT_NAME"] = "bing-agent", ["AZURE_AI_AGENT_VERSION"] = "2", ["Agents:bing-grounding:AgentName"] = "other" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(classic.TargetOf("bing-grounding"), Is.EqualTo(new AgentTarget("bing-grounding", AgentProtocol.Classic, "asst_env", null)));
            Assert.That(newer.TargetOf("bing-grounding"), Is.EqualTo(new AgentTarget("bing-grounding", AgentProtocol.Responses, "bing-agent", "2")),
                "the original-style names win over the section");
        }
    }

    [Test]
    public void AnExplicitProtocol_ChoosesBetweenAnIdAndAName_SoAnAgentMovesInConfigurationAlone()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Agents:bing-grounding:AgentId"] = "asst_old",
            ["Agents:bing-grounding:AgentName"] = "bing-new",
        };

        settings["Agents:bing-grounding:Protocol"] = "classic";
        var before = Options(settings).TargetOf("bing-grounding");
        settings["Agents:bing-grounding:Protocol"] = "responses";
        var after = Options(settings).TargetOf("bing-grounding");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.EqualTo(new AgentTarget("bing-grounding", AgentProtocol.Classic, "asst_old", null)));
            Assert.That(after, Is.EqualTo(new AgentTarget("bing-grounding", AgentProtocol.Responses, "bing-new", null)));
        }
    }

    [Test]
    public void AnIdBesideANameWithoutAProtocol_FailsTheStart_NamingTheEntryAndTheVariables()
    {
        var section = Failures(new() { ["Agents:plain:AgentId"] = "asst_x", ["Agents:plain:AgentName"] = "plain" });
        var variables = Failures(new() { ["AZURE_AI_AGENT_ID"] = "asst_x", ["AZURE_AI_AGENT_VERSION"] = "2" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(section, Does.Contain("Agents:plain has both a classic AgentId and a new agent's AgentName").And.Contain("Agents:plain:Protocol"));
            Assert.That(variables, Does.Contain("Agents:bing-grounding").And.Contain("AZURE_AI_AGENT_ID").And.Contain("AZURE_AI_AGENT_VERSION"));
        }
    }

    [Test]
    public void BadProtocolEntries_FailTheStart_NamingEachEntry()
    {
        var failures = Failures(new()
        {
            ["Agents:a:Protocol"] = "assistants",
            ["Agents:b:Protocol"] = "classic",
            ["Agents:c:AgentName"] = "-starts-with-a-hyphen",
            ["Agents:my_agent:Protocol"] = "responses",
            ["Agents:e:AgentVersion"] = "1/../2",
            ["Agents:ok:AgentName"] = "fine-name",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failures, Does.Contain("Agents:a:Protocol must be 'classic'").And.Contain("not 'assistants'"));
            Assert.That(failures, Does.Contain("Agents:b:Protocol is 'classic' but no AgentId is set"));
            Assert.That(failures, Does.Contain("Agents:c:AgentName must be an agent name"));
            Assert.That(failures, Does.Contain("Agents:my_agent runs a new agent named after the entry").And.Contain("set Agents:my_agent:AgentName"));
            Assert.That(failures, Does.Contain("Agents:e:AgentVersion must be a version"));
            Assert.That(failures, Does.Not.Contain("Agents:ok"));
        }
    }

    [TestCase("failed", "content_filter", null, UpstreamFailure.ContentFiltered)]
    [TestCase("incomplete", null, "content_filter", UpstreamFailure.ContentFiltered)]
    [TestCase("incomplete", null, "max_output_tokens", UpstreamFailure.BadResponse)]
    public void AContentFilteredRunOrResponse_IsContentFiltered(string status, string? code, string? reason, UpstreamFailure expected)
    {
        var failure = AgentThreadRunner.FailureOf(new AgentRun("r", "t", status, code, null, reason));

        Assert.That(failure.Failure, Is.EqualTo(expected));
    }
}
