package sgcache.esnode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.EmbeddedElasticsearch;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.TransportService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Starts one real Elasticsearch 8.19 node inside this JVM, for sgcache's tests, benchmarks
 * and demo: the same command line and the same READY line as the OpenSearch launcher, so
 * that scripts/search-node drives both. See tools/elasticsearch-node/README.md.
 */
public final class Launcher {

    /**
     * What a distribution loads from modules/ that sgcache needs and Maven Central publishes:
     * the HTTP transport, and GET / (rest-root is not published; RootPlugin stands in).
     * analysis-common, mapper-extras, reindex, lang-painless are not published either: see
     * the README for what a node without them lacks.
     */
    private static List<Class<? extends Plugin>> pluginClasses() {
        return List.of(Netty4Plugin.class, RootPlugin.class);
    }

    private static final String LOG4J2_PROPERTIES = String.join("\n",
        "# Written by sgcache's elasticsearch-node launcher; rewritten at every start.",
        "status = error",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
        "rootLogger.level = @LEVEL@",
        "rootLogger.appenderRef.console.ref = console",
        "# A WARN at every start that says nothing useful here.",
        "logger.dangling.name = org.elasticsearch.gateway.DanglingIndicesState",
        "logger.dangling.level = error",
        "");

    private static final class Options {
        Path home;
        String clusterName = "sgcache-test";
        String nodeName = "node-1";
        List<String> seedHosts = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        boolean bootstrapCluster;
        boolean seedFile;
        Integer defaultReplicas;
        long watchPid = -1;
        int httpPort = 0;
        boolean exitOnStdinEof;
        String logLevel = "warn";
    }

    private static void usage(PrintStream out) {
        out.println(String.join("\n",
            "usage: java -cp 'target/classes:target/lib/*' sgcache.esnode.Launcher --home DIR [options]",
            "  --home DIR               node home (config/, data/, logs/, modules/, plugins/ are created)",
            "  --cluster-name NAME      cluster.name (default sgcache-test)",
            "  --node-name NAME         node.name (default node-1)",
            "  --roles a,b,c            node.roles, e.g. master,data,ingest or data,ingest",
            "                           (cluster_manager, OpenSearch's name for master, is accepted)",
            "  --bootstrap-cluster      first node of a multi-node cluster: sets",
            "                           cluster.initial_master_nodes to this node's name",
            "  --seed-hosts h:p[,h:p]   discovery.seed_hosts: join the cluster through these transport addresses",
            "  --seed-file              also read seed addresses from HOME/config/unicast_hosts.txt (one host:port",
            "                           a line; re-read at every discovery round, so it may be written later)",
            "  (with none of --bootstrap-cluster, --seed-hosts, --seed-file: discovery.type=single-node)",
            "  --default-replicas N     accepted for the OpenSearch launcher's sake; Elasticsearch has no",
            "                           cluster-wide default (sgcache sets replicas on every index)",
            "  --watch-pid PID          exit cleanly once process PID is gone (polled every 500 ms)",
            "  --exit-on-stdin-eof      exit cleanly when standard input reaches end of file",
            "  --log-level LEVEL        root log level of the console log (stderr), default warn",
            "  --http-port N            bind HTTP to this port instead of a free one (restart tests)",
            "Binds HTTP and transport to 127.0.0.1 on free ports, writes HOME/http.url and",
            "HOME/transport.port, then prints 'READY <url>' on standard output."));
    }

    private static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home": o.home = Path.of(need(args, ++i, a)).toAbsolutePath(); break;
                case "--cluster-name": o.clusterName = need(args, ++i, a); break;
                case "--node-name": o.nodeName = need(args, ++i, a); break;
                case "--roles": o.roles = splitList(need(args, ++i, a)); break;
                case "--seed-hosts": o.seedHosts = splitList(need(args, ++i, a)); break;
                case "--bootstrap-cluster": o.bootstrapCluster = true; break;
                case "--seed-file": o.seedFile = true; break;
                case "--default-replicas": o.defaultReplicas = Integer.parseInt(need(args, ++i, a)); break;
                case "--watch-pid": o.watchPid = Long.parseLong(need(args, ++i, a)); break;
                case "--exit-on-stdin-eof": o.exitOnStdinEof = true; break;
                case "--log-level": o.logLevel = need(args, ++i, a); break;
                case "--http-port": o.httpPort = Integer.parseInt(need(args, ++i, a)); break;
                case "-h": case "--help": usage(System.out); System.exit(0); break;
                default: die("unknown argument: " + a);
            }
        }
        if (o.home == null) die("--home DIR is required");
        if (o.bootstrapCluster && (o.seedFile || !o.seedHosts.isEmpty())) {
            die("--bootstrap-cluster excludes --seed-hosts and --seed-file");
        }
        return o;
    }

    private static String need(String[] args, int i, String opt) {
        if (i >= args.length) die(opt + " needs a value");
        return args[i];
    }

    private static List<String> splitList(String s) {
        List<String> l = new ArrayList<>();
        for (String p : s.split(",")) if (!p.isBlank()) l.add(p.trim());
        return l;
    }

    private static void die(String msg) {
        System.err.println("elasticsearch-node launcher: " + msg);
        usage(System.err);
        System.exit(2);
    }

    /** Reads field 22 (start time) of /proc/PID/stat, or null when gone or a zombie. */
    private static String procStartTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String rest = stat.substring(stat.lastIndexOf(')') + 2); // after "comm) "
            String[] f = rest.trim().split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) return null; // dead, not yet reaped
            return f[19]; // field 22 overall; rest starts at field 3
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // LogConfigurator replaces System.out/err with streams into log4j; keep the real ones.
    private static final PrintStream realOut =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final PrintStream realErr =
        new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    private static volatile Node node;
    private static final CountDownLatch closed = new CountDownLatch(1);

    /** Closes the node once; used by the shutdown hook (SIGTERM, System.exit). */
    private static synchronized void closeNode() {
        Node n = node;
        node = null;
        if (n == null) return;
        try {
            n.close();
            if (!n.awaitClose(20, TimeUnit.SECONDS)) {
                realErr.println("elasticsearch-node launcher: node did not close within 20 s");
            }
        } catch (Exception e) {
            realErr.println("elasticsearch-node launcher: error while closing node: " + e);
        } finally {
            closed.countDown();
        }
    }

    private static void exitSoon(String why) {
        realErr.println("elasticsearch-node launcher: " + why + "; shutting down");
        // System.exit runs the shutdown hook, which closes the node.
        Thread t = new Thread(() -> System.exit(0), "esn-exit");
        t.setDaemon(false);
        t.start();
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            realErr.println("elasticsearch-node launcher: startup failed: " + t);
            t.printStackTrace(realErr);
            // Node threads may not all be daemons: make sure the JVM goes away.
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Options o = parse(args);

        // Watchers start first so that a parent dying during startup is noticed too.
        if (o.watchPid > 0) {
            final String startTime = procStartTime(o.watchPid);
            if (startTime == null) {
                System.err.println("elasticsearch-node launcher: --watch-pid " + o.watchPid + " is not running");
                System.exit(3);
            }
            Thread w = new Thread(() -> {
                while (true) {
                    try { Thread.sleep(500); } catch (InterruptedException e) { return; }
                    if (!startTime.equals(procStartTime(o.watchPid))) {
                        exitSoon("watched process " + o.watchPid + " is gone");
                        return;
                    }
                }
            }, "esn-watch-pid");
            w.setDaemon(true);
            w.start();
        }
        if (o.exitOnStdinEof) {
            final InputStream in = new java.io.FileInputStream(FileDescriptor.in);
            Thread r = new Thread(() -> {
                byte[] buf = new byte[256];
                try {
                    while (in.read(buf) >= 0) { /* discard */ }
                } catch (IOException ignored) {
                    // treat a read error like EOF
                }
                exitSoon("standard input closed");
            }, "esn-stdin-eof");
            r.setDaemon(true);
            r.start();
        }

        Path home = o.home;
        Path config = home.resolve("config");
        for (String d : new String[] {"config", "data", "logs", "modules", "plugins"}) {
            Files.createDirectories(home.resolve(d));
        }
        Files.writeString(config.resolve("log4j2.properties"),
            LOG4J2_PROPERTIES.replace("@LEVEL@", o.logLevel), StandardCharsets.UTF_8);
        Files.deleteIfExists(home.resolve("http.url"));
        Files.deleteIfExists(home.resolve("transport.port"));

        Settings.Builder sb = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", o.clusterName)
            .put("node.name", o.nodeName)
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(o.httpPort))
            .put("transport.port", "0")
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        if (!o.roles.isEmpty()) {
            List<String> roles = new ArrayList<>();
            for (String r : o.roles) roles.add(r.equals("cluster_manager") ? "master" : r);
            sb.putList("node.roles", roles);
        }
        if (o.bootstrapCluster) {
            sb.putList("cluster.initial_master_nodes", o.nodeName);
            sb.putList("discovery.seed_hosts", Collections.emptyList());
        } else if (!o.seedHosts.isEmpty() || o.seedFile) {
            sb.putList("discovery.seed_hosts", o.seedHosts);
            if (o.seedFile) {
                // The file seed provider (core): config/unicast_hosts.txt, re-read every round.
                sb.putList("discovery.seed_providers", "file");
                Path hosts = config.resolve("unicast_hosts.txt");
                if (!Files.exists(hosts)) Files.writeString(hosts, "", StandardCharsets.UTF_8);
            }
        } else {
            sb.put("discovery.type", "single-node");
        }

        Environment env = InternalSettingsPreparer.prepareEnvironment(sb.build(), Collections.emptyMap(), config, () -> o.nodeName);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(o.nodeName);
        // true: keep the console appender (false removes it, and the node logs nowhere).
        LogConfigurator.configure(env, true);

        Runtime.getRuntime().addShutdownHook(new Thread(Launcher::closeNode, "esn-shutdown"));

        Node n = new EmbeddedElasticsearch(env, pluginClasses());
        node = n;
        n.start();

        TransportAddress http = n.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        TransportAddress transport = n.injector().getInstance(TransportService.class).boundAddress().publishAddress();
        String url = "http://" + http.getAddress() + ":" + http.getPort();
        writeAtomically(home.resolve("transport.port"), transport.getPort() + "\n");
        writeAtomically(home.resolve("http.url"), url + "\n");
        realOut.println("READY " + url);
        realOut.flush();

        // Node threads are daemons: keep main alive until the node has closed.
        closed.await();
    }

    private Launcher() {}
}
