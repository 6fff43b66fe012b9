using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;
using Wrapper.Infrastructure.Agents;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>The agents end to end over https against the simulator: thread lifecycle, answers, conversation continuation.</summary>
public sealed class AgentGatewayTests : AgentSimulatorHost
{
    [Test]
    public async Task BingGrounding_AnswersWithoutMarkers_WithNumberedMergedCitations_AndDeletesTheThread()
    {
        var answer = await Gateway().AskAsync("bing-grounding", new AgentQuestion("What happened in finance today?"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Does.Contain("finance today"));
            Assert.That(answer.Content, Does.Not.Contain("【").And.Not.Contain("†").And.Not.Contain("  "));
            // The simulator cites three sources with four markers (one source twice).
            Assert.That(answer.Citations.Select(c => c.Id), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(answer.Citations.Select(c => c.Type), Is.All.EqualTo(CitationType.Url));
            Assert.That(answer.Citations[0].Url, Does.StartWith("https://www.bing.com/search?q="));
            Assert.That(answer.Citations[0].Title, Is.EqualTo("What happened in finance today - Bing"));
            Assert.That(answer.ThreadId, Is.Null);
        }

        AssertEveryThreadDeleted();
        Assert.That(Store.GetCounters().RunsCompleted, Is.EqualTo(1));
    }

    [Test]
    public async Task Plain_AnswersWithoutCitations()
    {
        var gateway = Gateway();

        var answer = await gateway.AskAsync("plain", new AgentQuestion("Tell me a fact about 🐙 octopuses"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gateway.AgentNames, Is.EquivalentTo(new[] { "bing-grounding", "plain" }));
            Assert.That(answer.Content, Does.Contain("🐙 octopuses").And.Contain("plain-agent"));
            Assert.That(answer.Citations, Is.Empty);
        }

        AssertEveryThreadDeleted();
    }

    [Test]
    public async Task Plain_CitesFilesOnly()
    {
        // The simulator's file-search agent stands in for a plain agent that was given files.
        var gateway = Agents(agentIds: new Dictionary<string, string> { ["plain"] = "asst_files", ["bing-grounding"] = "asst_bing" })
            .GetRequiredService<IAgentGateway>();

        var answer = await gateway.AskAsync("plain", new AgentQuestion("vacation days"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Content, Does.Not.Contain("【"));
            Assert.That(answer.Citations.Select(c => (c.Id, c.Type, c.Url)), Is.EqualTo(new[]
            {
                (1, CitationType.File, "assistant-SimHandbook01"),
                (2, CitationType.File, "assistant-SimOnboarding02"),
            }));
            Assert.That(answer.Citations[0].Quote, Is.EqualTo("Section 3 of the employee handbook covers vacation days."));
            Assert.That(answer.Citations[0].Title, Is.EqualTo("assistant-SimHandbook01"));
        }
    }

    [Test]
    public async Task KeepThread_ReturnsTheThread_WhichTheNextQuestionContinues_AndKeepFalseEnds()
    {
        var gateway = Gateway();

        var first = await gateway.AskAsync("bing-grounding", new AgentQuestion("First question", KeepThread: true), CancellationToken.None);
        Assert.That(first.ThreadId, Does.StartWith("thread_"));
        Assert.That(Store.FindThread(first.ThreadId!)!.Deleted, Is.False);

        var second = await gateway.AskAsync("bing-grounding", new AgentQuestion("Second question", first.ThreadId, KeepThread: true), CancellationToken.None);
        var thread = Store.FindThread(first.ThreadId!)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.ThreadId, Is.EqualTo(first.ThreadId));
            Assert.That(second.Content, Does.Contain("Second question"));
            Assert.That(thread.Deleted, Is.False);
            Assert.That(thread.MessageCount, Is.EqualTo(4), "two questions and two answers on one thread");
            Assert.That(Store.GetCounters().ThreadsCreated, Is.EqualTo(1));
        }

        var last = await gateway.AskAsync("bing-grounding", new AgentQuestion("Thanks", first.ThreadId, KeepThread: false), CancellationToken.None);

        Assert.That(last.ThreadId, Is.Null);
        AssertEveryThreadDeleted();
    }

    [Test]
    public void ContinuingAThreadThatDoesNotExist_IsThreadNotFound()
    {
        // The application checks the owner first; this is a thread deleted after that check.
        var ex = Assert.ThrowsAsync<ThreadNotFoundException>(() =>
            Gateway().AskAsync("bing-grounding", new AgentQuestion("Hi", "thread_doesnotexist", KeepThread: true), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.ThreadId, Is.EqualTo("thread_doesnotexist"));
            Assert.That(ex.Message, Does.Contain("thread_id"));
            Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero);
        }
    }

    [Test]
    public async Task Probe_ReadsTheAgents_WithoutCreatingThreads()
    {
        var gateway = Gateway();

        await gateway.ProbeAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gateway.IsConfigured, Is.True);
            Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero);
            Assert.That(Store.GetCounters().RunsCreated, Is.Zero);
        }
    }

    [Test]
    public void Probe_ReportsAMissingAgent()
    {
        var gateway = Agents(agentIds: new Dictionary<string, string> { ["bing-grounding"] = "asst_missing" }).GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => gateway.ProbeAsync(CancellationToken.None));

        Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.NotFound));
    }

    [Test]
    public async Task WithoutAnEndpoint_NothingIsConfigured_AndAgentsAnswerUnavailable()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgents(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();
        var gateway = provider.GetRequiredService<IAgentGateway>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => gateway.AskAsync("bing-grounding", new AgentQuestion("Hi"), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(gateway.IsConfigured, Is.False);
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.Message, Does.Contain("AZURE_AI_PROJECT_ENDPOINT"));
        }
    }

    [Test]
    public void AnAgentWithoutAnId_AnswersUnavailable_NamingTheSetting()
    {
        var provider = Agents(o => o.Agents.Remove("plain"));

        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            provider.GetRequiredService<IAgentGateway>().AskAsync("plain", new AgentQuestion("Hi"), CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.Message, Does.Contain("Agents:plain:AgentId"));
            Assert.That(Store.GetCounters().ThreadsCreated, Is.Zero);
        }
    }
}
