using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class FaultInjectorTests
{
    [Test]
    public void ShouldHandOutEachFaultCountTimesInOrder()
    {
        var faults = new FaultInjector();
        faults.Add(new FaultSpec { Status = 503, Count = 2 });
        faults.Add(new FaultSpec { Status = 429 });

        var taken = new List<int?>();
        while (faults.TryTake(FaultInjector.OpenAITarget, out var fault))
        {
            taken.Add(fault.Status);
        }

        Assert.That(taken, Is.EqualTo(new int?[] { 503, 503, 429 }));
    }

    [Test]
    public void ShouldMatchTheTargetOrAnyRoute()
    {
        var faults = new FaultInjector();
        faults.Add(new FaultSpec { Status = 500, Target = "Agents" });
        faults.Add(new FaultSpec { Status = 503 });

        Assert.That(faults.TryTake("openai", out var forOpenAI), Is.True);
        Assert.That(forOpenAI!.Status, Is.EqualTo(503));
        Assert.That(faults.TryTake("openai", out _), Is.False);
        Assert.That(faults.TryTake("agents", out var forAgents), Is.True);
        Assert.That(forAgents!.Status, Is.EqualTo(500));
    }

    [Test]
    public void ShouldRefuseAnInvalidSpec()
    {
        var faults = new FaultInjector();

        Assert.Throws<ArgumentException>(() => faults.Add(new FaultSpec { Count = 3 }));
        Assert.Throws<ArgumentException>(() => faults.Add(new FaultSpec { Status = 302 }));
        Assert.That(faults.Pending, Is.Empty);
    }

    [Test]
    public void ShouldHandOutExactlyCountUsesUnderConcurrency()
    {
        var faults = new FaultInjector();
        faults.Add(new FaultSpec { Status = 500, Count = 1000 });
        var taken = 0;

        Parallel.For(0, 4000, i =>
        {
            if (faults.TryTake(FaultInjector.OpenAITarget, out _))
            {
                Interlocked.Increment(ref taken);
            }
        });

        Assert.That(taken, Is.EqualTo(1000));
        Assert.That(faults.Pending, Is.Empty);
    }
}
